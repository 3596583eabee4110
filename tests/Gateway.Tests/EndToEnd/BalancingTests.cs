using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class BalancingTests
{
    [Fact]
    public async Task RoundRobin_takes_turns()
    {
        await using var backends = new NamedBackends("a", "b", "c");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject { ["LoadBalancingPolicy"] = "RoundRobin" }));

        var seen = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            seen.Add(await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        Assert.Equal(new Dictionary<string, int> { ["a"] = 10, ["b"] = 10, ["c"] = 10 }, Count(seen));
        Assert.All(seen.Chunk(3), turn => Assert.Equal(3, turn.Distinct().Count()));
    }

    [Fact]
    public async Task LeastConnections_fills_the_emptiest_destination()
    {
        await using var backends = new NamedBackends("a", "b", "c");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject { ["LoadBalancingPolicy"] = "LeastConnections" }));

        // Held open: each new one must go where the fewest are open.
        var held = new List<(System.Net.Sockets.Socket Socket, string Backend)>();
        for (var i = 0; i < 9; i++)
        {
            held.Add(await NamedBackends.ConnectAsync(gateway.Https));
        }

        Assert.Equal(new Dictionary<string, int> { ["a"] = 3, ["b"] = 3, ["c"] = 3 }, Count(held.Select(h => h.Backend)));
        var firstOnB = held.First(h => h.Backend == "b");
        firstOnB.Socket.Dispose();
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 8, "the closed tunnel is gone");
        Assert.Equal("b", await NamedBackends.WhichBackendAsync(gateway.Https));
        held.ForEach(h => h.Socket.Dispose());
    }

    [Fact]
    public async Task Random_uses_every_destination()
    {
        await using var backends = new NamedBackends("a", "b", "c");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject { ["LoadBalancingPolicy"] = "Random" }));

        var seen = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            seen.Add(await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        // Each destination's share is 20 on average; below 5 has a probability under 1e-5.
        Assert.All(Count(seen).Values, count => Assert.InRange(count, 5, 40));
        Assert.Equal(3, Count(seen).Count);
    }

    [Fact]
    public async Task FirstAvailable_sends_everything_to_the_first_until_it_is_drained()
    {
        await using var backends = new NamedBackends("a", "b");
        var settings = new JsonObject { ["LoadBalancingPolicy"] = "FirstAvailable" };
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(settings));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        var (held, onA) = await NamedBackends.ConnectAsync(gateway.Https);
        Assert.Equal("a", onA);
        var drained = backends.Gateway(settings);
        drained["Passthrough"]!["Clusters"]!["pool"]!["Destinations"]!["a"]!["State"] = "Drain";
        await gateway.WriteConfigAsync(drained, null);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the drain is applied");

        Assert.Equal("b", await NamedBackends.WhichBackendAsync(gateway.Https));
        await ReloadTests.AssertEchoAsync(held, "a drained destination keeps its tunnels"u8.ToArray());
        held.Dispose();
    }

    [Fact]
    public async Task SourceIpHash_gives_each_client_address_the_same_destination_in_two_independent_gateways()
    {
        await using var backends = new NamedBackends("a", "b", "c");
        var settings = new JsonObject { ["LoadBalancingPolicy"] = "SourceIpHash" };
        await using var first = await TestGateway.StartAsync(backends.Gateway(settings));
        await using var second = await TestGateway.StartAsync(backends.Gateway(settings));

        var choices = new Dictionary<string, string>();
        for (var i = 2; i < 32; i++)
        {
            var source = $"127.0.0.{i}";
            var one = await NamedBackends.WhichBackendAsync(first.Https, source);
            Assert.Equal(one, await NamedBackends.WhichBackendAsync(first.Https, source));
            Assert.Equal(one, await NamedBackends.WhichBackendAsync(second.Https, source));
            choices[source] = one;
        }

        Assert.Equal(3, choices.Values.Distinct().Count());
    }

    [Fact]
    public async Task Source_ip_affinity_keeps_a_client_on_one_destination_for_100_connections()
    {
        await using var backends = new NamedBackends("a", "b", "c");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject
        {
            ["LoadBalancingPolicy"] = "RoundRobin",
            ["SessionAffinity"] = new JsonObject { ["Policy"] = "SourceIp", ["Expiry"] = "30m", ["MaxEntries"] = 100 },
        }));

        var seen = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            seen.Add(await NamedBackends.WhichBackendAsync(gateway.Https, "127.0.0.7"));
        }

        Assert.Single(seen);
        var other = await NamedBackends.WhichBackendAsync(gateway.Https, "127.0.0.8");
        Assert.NotEqual(seen.Single(), other); // round robin moved on for the next client
    }

    private static Dictionary<string, int> Count(IEnumerable<string> names) =>
        names.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
}
