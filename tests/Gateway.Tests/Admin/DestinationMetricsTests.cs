using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using static Gateway.Tests.Admin.MetricsTests;

namespace Gateway.Tests.Admin;

/// <summary>
/// gateway_destination_health, _active and _state for L7 destinations beside passthrough ones, under the same names:
/// present before any traffic, in-flight requests counted while they are in flight (pooled and pinned), YARP's health
/// verdict, the state the admin API set, and an id both layers use kept apart by layer="proxy".
/// </summary>
[Collection(SerialTests.Name)]
public sealed class DestinationMetricsTests
{
    [Fact]
    public async Task L7_destinations_have_health_in_flight_and_state_series_beside_passthrough_ones()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (builder, endPoint) = LoopbackKestrel.CreateBuilder(HttpProtocols.Http1);
        await using var slow = builder.Build();
        slow.MapGet("/", () => "ok");
        slow.MapGet("/slow", async (HttpContext _) =>
        {
            await release.Task;
            return "done";
        });
        await slow.StartAsync();
        using var closed = new ClosedPort();
        await using var passthrough = new NamedBackends("a");

        var proxy = ProxyDestinationStateTests.Proxy(endPoint().ToString());
        proxy["Clusters"]!["app"]!["Destinations"]!["down"] = new JsonObject { ["Address"] = $"http://{closed.Address}/" };
        proxy["Clusters"]!["app"]!["HealthCheck"] = JsonNode.Parse("""{ "Active": { "Enabled": true, "Interval": "00:00:01", "Timeout": "00:00:01", "Path": "/" } }""");
        proxy["Routes"]!["pinned"] = JsonNode.Parse("""{ "ClusterId": "pool", "Match": { "Hosts": [ "pinned.test" ], "Path": "{**catch-all}" } }""");
        proxy["Clusters"]!["pool"] = new JsonObject { ["Destinations"] = new JsonObject { ["d1"] = new JsonObject { ["Address"] = $"http://{endPoint()}/" } } };
        var gateway = passthrough.Gateway();
        gateway["Proxy"] = JsonNode.Parse("""{ "Clusters": { "pool": { "ConnectionPinned": true } } }""");
        await using var running = await TestGateway.StartAsync(gateway, proxy);
        using var admin = ProxyDestinationStateTests.Admin(running);

        // Before any request: every destination of both layers, each once.
        var samples = Parse(await admin.GetStringAsync("metrics"));
        var l7 = ("layer", "proxy");
        Assert.Equal(1, Value(samples, "gateway_destination_health", ("cluster", "pool"), ("destination", "a")));
        Assert.DoesNotContain(samples, s => s.Name == "gateway_destination_health" && s.Labels.GetValueOrDefault("destination") == "a" && s.Labels.ContainsKey("layer"));
        Assert.Equal(1, Value(samples, "gateway_destination_health", ("cluster", "pool"), ("destination", "d1"), l7));
        Assert.Equal(0, Value(samples, "gateway_destination_active", ("cluster", "app"), ("destination", "d1"), l7));
        Assert.Equal(0, Value(samples, "gateway_destination_active", ("cluster", "pool"), ("destination", "d1"), l7));
        foreach (var (cluster, destination, layer) in new[] { ("pool", "a", (string?)null), ("pool", "d1", "proxy"), ("app", "d1", "proxy"), ("app", "down", "proxy") })
        {
            var states = samples.Where(s => s.Name == "gateway_destination_state" && s.Labels["cluster"] == cluster && s.Labels["destination"] == destination
                && s.Labels.GetValueOrDefault("layer") == layer).ToDictionary(s => s.Labels["state"], s => s.Value);
            Assert.Equal(new Dictionary<string, double> { ["Active"] = 1, ["Drain"] = 0, ["Disabled"] = 0 }, states);
        }

        // YARP's active check finds the closed port.
        await Poll.UntilAsync(async () => Value(Parse(await admin.GetStringAsync("metrics")), "gateway_destination_health", ("cluster", "app"), ("destination", "down"), l7) == 0,
            TimeSpan.FromSeconds(20), "YARP marks the closed port unhealthy");
        var app = JsonNode.Parse(await admin.GetStringAsync("stats.json"))!["clusters"]!.AsArray().Single(c => (string)c!["id"]! == "app")!;
        Assert.Equal("down", (string)app["destinations"]!.AsArray().Single(d => (string)d!["id"]! == "down")!["health"]!);

        // Requests in flight, over a pooled and a pinned cluster.
        using var pooledClient = HostClient.Create(running.Https, "app.test");
        using var pinnedClient = HostClient.Create(running.Https, "pinned.test");
        var pooled = pooledClient.GetStringAsync("/slow");
        var pinned = pinnedClient.GetStringAsync("/slow");
        await Poll.UntilAsync(async () =>
        {
            var now = Parse(await admin.GetStringAsync("metrics"));
            return Value(now, "gateway_destination_active", ("cluster", "app"), ("destination", "d1"), l7) == 1
                && Value(now, "gateway_destination_active", ("cluster", "pool"), ("destination", "d1"), l7) == 1;
        }, TimeSpan.FromSeconds(20), "both requests are counted in flight");
        var inFlight = JsonNode.Parse(await admin.GetStringAsync("stats.json"))!["clusters"]!.AsArray().Single(c => (string)c!["id"]! == "app")!;
        Assert.Equal(1, (int)inFlight["activeTunnels"]!);

        release.SetResult();
        Assert.Equal(("done", "done"), (await pooled, await pinned));
        await Poll.UntilAsync(async () =>
        {
            var now = Parse(await admin.GetStringAsync("metrics"));
            return Value(now, "gateway_destination_active", ("cluster", "app"), ("destination", "d1"), l7) == 0
                && Value(now, "gateway_destination_active", ("cluster", "pool"), ("destination", "d1"), l7) == 0;
        }, TimeSpan.FromSeconds(20), "both requests are done");

        await ProxyDestinationStateTests.SetAsync(admin, "pool", "d1", "Drain", "proxy");

        // The exporter may answer from its cache of a scrape a moment ago.
        await Poll.UntilAsync(async () => Value(samples = Parse(await admin.GetStringAsync("metrics")), "gateway_destination_state",
            ("cluster", "pool"), ("destination", "d1"), l7, ("state", "Drain")) == 1, TimeSpan.FromSeconds(10), "the state shows");
        Assert.Equal(1, Value(samples, "gateway_destination_state", ("cluster", "pool"), ("destination", "d1"), l7, ("state", "Drain")));
        Assert.Equal(0, Value(samples, "gateway_destination_state", ("cluster", "pool"), ("destination", "d1"), l7, ("state", "Active")));
        Assert.Equal(1, Samples(samples, "gateway_destination_state", ("cluster", "pool"), ("destination", "a"), ("state", "Active")));
        Assert.Equal(HttpStatusCode.OK, (await pinnedClient.GetAsync("/slow")).StatusCode);
    }

    private static double Samples(List<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && !s.Labels.ContainsKey("layer") && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);
}
