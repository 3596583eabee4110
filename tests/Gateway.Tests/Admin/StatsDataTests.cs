using System.Diagnostics.Metrics;
using System.Net;
using Gateway.AccessLog;
using Gateway.Admin;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Proxy;
using Gateway.Tests.Infrastructure;
using Gateway.Tunnel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Admin;

/// <summary>What the stats page is made of, on a fake clock: history rings, the latency histogram, counters, state times, the lookup's input.</summary>
public sealed class StatsDataTests
{
    private static readonly Dictionary<string, string?> Config = new()
    {
        ["Gateway:Passthrough:Routes:mail:Hosts:0"] = "mail.test",
        ["Gateway:Passthrough:Routes:mail:ClusterId"] = "mail",
        ["Gateway:Passthrough:Clusters:mail:Destinations:m1:Address"] = "127.0.0.1:9443",
        ["ReverseProxy:Routes:app:ClusterId"] = "app",
        ["ReverseProxy:Routes:app:Match:Hosts:0"] = "app.test",
        ["ReverseProxy:Clusters:app:Destinations:app1:Address"] = "http://127.0.0.1:9080/",
    };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Latency_buckets_are_a_quarter_octave_wide_and_percentiles_land_within_one_bucket()
    {
        Assert.Equal(0, LatencyHistogram.BucketOf(TimeSpan.Zero));
        Assert.Equal(0, LatencyHistogram.BucketOf(TimeSpan.FromMicroseconds(100)));
        Assert.Equal(LatencyHistogram.Buckets - 1, LatencyHistogram.BucketOf(TimeSpan.FromMinutes(10)));
        for (var i = 1; i < LatencyHistogram.Buckets - 1; i++)
        {
            var ratio = LatencyHistogram.UpperBoundMilliseconds(i) / LatencyHistogram.UpperBoundMilliseconds(i - 1);
            Assert.InRange(ratio, 1.18, 1.19);
        }

        Assert.True(LatencyHistogram.UpperBoundMilliseconds(LatencyHistogram.Buckets - 2) >= 120_000, "the last bound covers two minutes");

        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 1000; ms++)
        {
            histogram.Record(TimeSpan.FromMilliseconds(ms));
        }

        var counts = new long[LatencyHistogram.Buckets];
        histogram.AddTo(counts);
        Assert.Equal(1000, counts.Sum());
        Assert.InRange(LatencyHistogram.Percentile(counts, 0.5)!.Value, 500 / 1.19, 500 * 1.19);
        Assert.InRange(LatencyHistogram.Percentile(counts, 0.99)!.Value, 990 / 1.19, 990 * 1.19);
        Assert.Null(LatencyHistogram.Percentile(new long[LatencyHistogram.Buckets], 0.5));
    }

    [Fact]
    public void Route_counters_keep_in_flight_and_peak_status_classes_errors_by_kind()
    {
        var counters = new ProxyRouteCounters();
        counters.Started();
        counters.Started();
        counters.Started();
        counters.Finished(200, null, TimeSpan.FromMilliseconds(5));
        counters.Finished(502, ForwarderError.Request, TimeSpan.FromMilliseconds(5));
        counters.Started();
        counters.Finished(404, null, TimeSpan.FromMilliseconds(5));
        counters.Finished(200, ForwarderError.ResponseBodyClient, TimeSpan.FromMilliseconds(5));

        Assert.Equal(0, counters.InFlight);
        Assert.Equal(3, counters.PeakInFlight);
        Assert.Equal(4, counters.Requests);
        Assert.Equal(2, counters.Errors); // the 502, and the forwarding error answered 200
        Assert.Equal([0, 2, 0, 1, 1, 0], Enumerable.Range(0, ProxyRouteCounters.StatusClasses).Select(counters.Status));
        Assert.Equal([(ForwarderError.Request, 1L), (ForwarderError.ResponseBodyClient, 1L)], counters.ForwarderErrors().OrderBy(e => e.Kind));
    }

    [Fact]
    public void A_destination_keeps_when_its_state_and_health_changed_and_its_last_check()
    {
        var destination = new PassthroughDestination(new PassthroughDestinationConfig("d", new HostPort("127.0.0.1", 9000)), _time);
        var created = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(3));
        destination.RuntimeState = DestinationAdminState.Active; // the same state: no change
        Assert.Equal(created, destination.StateChangedAt);
        destination.RuntimeState = DestinationAdminState.Drain;
        Assert.Equal(created.AddMinutes(3), destination.StateChangedAt);

        _time.Advance(TimeSpan.FromMinutes(1));
        destination.Health.RecordFailure(fall: 2);
        Assert.Equal(created, destination.Health.ChangedAt);
        Assert.Equal(1, destination.Health.ConsecutiveFailures);
        destination.Health.RecordFailure(fall: 2);
        Assert.Equal(created.AddMinutes(4), destination.Health.ChangedAt);

        destination.Health.CheckDone(new HealthCheckResult(_time.GetUtcNow(), TimeSpan.FromMilliseconds(12), "refused"));
        Assert.Equal("refused", destination.Health.LastCheck!.Failure);
        destination.Health.Reset();
        Assert.Null(destination.Health.LastCheck);
    }

    [Fact]
    public async Task Passthrough_history_keeps_15_minutes_at_10_seconds_and_24_hours_at_5_minutes_in_fixed_rings()
    {
        var (history, tunnels, _, _) = await HistoryAsync();
        var traffic = tunnels.Traffic("mail");
        history.Sample();
        for (var i = 0; i < 30; i++)
        {
            traffic.AddFromClient(6_000);
            traffic.AddFromBackend(4_000);
            _time.Advance(TrafficHistory.Interval);
            history.Sample();
        }

        var recent = history.For("mail", 0);
        Assert.Equal(32, recent.Count); // the first sample, 30 more, and one taken now
        Assert.All(recent.Skip(1).SkipLast(1), s => Assert.Equal(1_000, s.BytesPerSecond, 3));
        var day = Assert.Single(history.DayFor("mail"));
        Assert.Equal(1_000, day.BytesPerSecond, 3);
        Assert.Equal(_time.GetUtcNow(), day.At);

        // Five quiet minutes: a second 5-minute point at zero.
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TrafficHistory.Interval);
            history.Sample();
        }

        Assert.Equal([1_000, 0], history.DayFor("mail").Select(s => Math.Round(s.BytesPerSecond)));

        // A day and more: both rings stay at their size, the newest last.
        for (var i = 0; i < 9000; i++)
        {
            _time.Advance(TrafficHistory.Interval);
            history.Sample();
        }

        Assert.Equal(TrafficHistory.Capacity + 1, history.For("mail", 0).Count);
        Assert.Equal(TrafficHistory.DayCapacity, history.DayFor("mail").Count);
        Assert.Equal(_time.GetUtcNow(), history.For("mail", 0)[^2].At);
        Assert.True(history.DayFor("mail")[^1].At > _time.GetUtcNow() - TrafficHistory.DayInterval);
        Assert.True(history.DayFor("mail")[0].At >= _time.GetUtcNow() - TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task L7_history_has_requests_per_second_error_rate_and_percentiles_per_interval()
    {
        var (history, _, proxy, _) = await HistoryAsync();
        var counters = proxy.For("app", "app");
        history.Sample();
        for (var i = 0; i < 30; i++)
        {
            // 100 requests in 10 s: 94 take 10 ms, 5 take 500 ms, 1 fails with a 502.
            for (var r = 0; r < 100; r++)
            {
                counters.Started();
                counters.Finished(r == 0 ? 502 : 200, null, TimeSpan.FromMilliseconds(r is >= 1 and <= 5 ? 500 : 10));
            }

            _time.Advance(TrafficHistory.Interval);
            history.Sample();
        }

        var last = history.RequestsFor("app")[^1];
        Assert.Equal(10, last.RequestsPerSecond, 3);
        Assert.Equal(0.01, last.ErrorRate, 6);
        Assert.InRange(last.P50Milliseconds!.Value, 10 / 1.19, 10 * 1.19);
        Assert.InRange(last.P99Milliseconds!.Value, 500 / 1.19, 500 * 1.19);
        var day = Assert.Single(history.RequestsDayFor("app"));
        Assert.Equal(10, day.RequestsPerSecond, 3);
        Assert.InRange(day.P99Milliseconds!.Value, 500 / 1.19, 500 * 1.19);

        // No requests: no latency to show (a gap, not a zero).
        _time.Advance(TrafficHistory.Interval);
        history.Sample();
        Assert.Equal((0d, (double?)null, (double?)null), (history.RequestsFor("app")[^1].RequestsPerSecond, history.RequestsFor("app")[^1].P50Milliseconds, history.RequestsFor("app")[^1].P99Milliseconds));
    }

    [Fact]
    public async Task A_route_removed_from_the_config_takes_its_history_with_it()
    {
        var (history, _, _, store) = await HistoryAsync();
        history.Sample();
        Assert.NotEmpty(history.DayFor("mail").Concat(history.For("mail", 0)));
        Assert.NotEmpty(history.RequestsFor("app"));

        var without = new Dictionary<string, string?>(Config.Where(kv => !kv.Key.StartsWith("ReverseProxy:Routes", StringComparison.Ordinal)));
        store.Publish(await BuildAsync(without));
        _time.Advance(TrafficHistory.Interval);
        history.Sample();
        Assert.Empty(history.RequestsFor("app"));
        Assert.Equal(3, history.For("mail", 0).Count); // the route stays: two samples and one taken now
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("  192.0.2.7 ", "192.0.2.7")]
    [InlineData("192.0.2.7:50123", "192.0.2.7")]
    [InlineData("2001:db8::7", "2001:db8::7")]
    [InlineData("[2001:db8::7]:443", "2001:db8::7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("::1", "::1")]
    public void The_lookup_takes_an_address_as_operators_write_it(string typed, string expected)
    {
        Assert.True(AffinityLookupView.TryParseClient(typed, out var client));
        Assert.Equal(IPAddress.Parse(expected), client);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("1")]
    [InlineData("1.2.3")]
    [InlineData("010.1.1.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("192.0.2.256")]
    [InlineData("192.0.2.7:99999")]
    [InlineData("192.0.2.7/24")]
    [InlineData("fe80::1%eth0")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("mail.test")]
    [InlineData("192.0.2.7\u0000")]
    public void The_lookup_refuses_what_is_not_an_address(string typed)
    {
        Assert.False(AffinityLookupView.TryParseClient(typed, out _));
        var clusters = new PassthroughClusters(_time);
        var answer = AffinityLookupView.Find(typed, clusters);
        Assert.NotNull(answer.Error);
        Assert.Empty(answer.Answers);
    }

    [Fact]
    public void A_long_query_is_cut_in_the_answer()
    {
        var answer = AffinityLookupView.Find(new string('9', 10_000), new PassthroughClusters(_time));
        Assert.NotNull(answer.Error);
        Assert.True(answer.Query.Length <= AffinityLookupView.MaxQueryLength + 3);
    }

    private async Task<(TrafficHistory History, TunnelHandler Tunnels, ProxyStats Proxy, GenerationStore Store)> HistoryAsync()
    {
        var store = new GenerationStore(await BuildAsync(Config));
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var metrics = new GatewayMetrics(meters);
        var clusters = new PassthroughClusters(_time);
        clusters.Apply(store.Current.Get<PassthroughConfig>());
        var tunnels = new TunnelHandler(clusters, new DestinationPicker([]), metrics, new AccessLogWriter(store, metrics, _time, NullLogger<AccessLogWriter>.Instance),
            new TunnelFailures(_time, NullLogger<TunnelFailures>.Instance), new SocketBudget(metrics, _time, NullLogger<SocketBudget>.Instance), _time, NullLogger<TunnelHandler>.Instance);
        var proxy = new ProxyStats();
        return (new TrafficHistory(tunnels, proxy, store, _time), tunnels, proxy, store);
    }

    private static async Task<Generation> BuildAsync(Dictionary<string, string?> settings)
    {
        var (generation, errors) = await ConfigUnderTest.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), "/tmp");
        Assert.Empty(errors);
        return generation!;
    }
}
