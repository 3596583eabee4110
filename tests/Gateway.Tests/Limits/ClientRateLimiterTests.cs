using System.Net;
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
        Assert.Equal(IPAddress.Parse(subscriber), ConnectionLimiter.Subscriber(IPAddress.Parse(client)));

    [Fact]
    public void Refilled_buckets_are_dropped_once_many_addresses_are_tracked()
    {
        var clock = new FakeTimeProvider();
        var limiter = new ClientRateLimiter(clock);
        for (var i = 0; i < 10_001; i++)
        {
            limiter.TryAcquire(new IPAddress(0x0100007F + (i << 8)), 10);
        }

        clock.Advance(TimeSpan.FromMinutes(1));
        limiter.TryAcquire(IPAddress.Parse("127.0.0.9"), 10);

        Assert.True(limiter.Tracked < 100, $"{limiter.Tracked} buckets still tracked");
    }
}
