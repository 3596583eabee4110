using System.Net;
using Gateway.Configuration;
using Gateway.Limits;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Limits;

public sealed class ClientRateLimiterTests
{
    [Fact]
    public void A_client_bursts_up_to_the_limit_then_gets_one_more_per_share_of_the_minute()
    {
        var clock = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(clock);
        var client = IPAddress.Parse("127.0.1.1");

        Assert.All(Enumerable.Range(0, 6), _ => Assert.True(limiter.TryAcquire(client, 6)));
        Assert.False(limiter.TryAcquire(client, 6));

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(limiter.TryAcquire(client, 6));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(client, 6));
        Assert.False(limiter.TryAcquire(client, 6));

        // Other addresses have their own bucket.
        Assert.True(limiter.TryAcquire(IPAddress.Parse("127.0.1.2"), 6));
    }

    [Theory]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::")]
    [InlineData("::ffff:127.0.0.5", "127.0.0.5")]
    [InlineData("127.0.0.5", "127.0.0.5")]
    [InlineData("::1", "::1")]
    public void Limits_count_an_ipv6_client_by_its_64_prefix(string client, string subscriber) =>
        Assert.Equal(IPAddress.Parse(subscriber), Networks.Subscriber(IPAddress.Parse(client)));

    [Fact]
    public void Refilled_buckets_are_dropped_once_many_addresses_are_tracked_and_refilling_ones_are_kept()
    {
        var clock = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(clock);

        // One client spends its whole burst of 10 a minute: its bucket refills for a minute.
        var busy = IPAddress.Parse("127.0.0.8");
        Assert.All(Enumerable.Range(0, 10), _ => Assert.True(limiter.TryAcquire(busy, 10)));
        Assert.False(limiter.TryAcquire(busy, 10));

        // A scan: one connection each from 10,000 addresses (127.x.y.1) at 60 a minute, full again a second later.
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(limiter.TryAcquire(new IPAddress(0x0100007F + (i << 8)), 60));
        }

        Assert.Equal(10_001, limiter.Tracked);

        // The next address finds more than 10,000 buckets and sweeps the refilled ones.
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(limiter.TryAcquire(IPAddress.Parse("127.0.0.9"), 10));

        Assert.Equal(2, limiter.Tracked);
        Assert.False(limiter.TryAcquire(busy, 10)); // kept: a fresh bucket would have let it in
    }
}
