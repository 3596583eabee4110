using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Active, Drain and Disabled for L7 (YARP) destinations through the admin API, over a real gateway and real
/// backends: drained destinations take no new requests but keep the ones bound to them (a pinned connection, a
/// session-affinity cookie), disabled ones take none, and a reload keeps what it can.
/// </summary>
public sealed class ProxyDestinationStateTests
{
    private const string Host = "app.test";

    [Fact]
    public async Task A_drained_destination_gets_no_new_requests_disabled_ones_none_and_with_all_out_the_no_destination_page()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        await using var gateway = await TestGateway.StartAsync(null, Proxy(one, two));
        using var admin = Admin(gateway);
        using var client = HostClient.Create(gateway.Https, Host);

        Assert.Equal(["one", "two"], (await WhichAsync(client, 6)).Distinct().Order());

        var drained = await SetAsync(admin, "app", "d1", "Drain");
        Assert.Equal(("app", "d1", "proxy", "Drain", true),
            ((string)drained["cluster"]!, (string)drained["destination"]!, (string)drained["layer"]!, (string)drained["state"]!, (bool)drained["setAtRuntime"]!));
        Assert.All(await WhichAsync(client, 8), backend => Assert.Equal("two", backend));

        await SetAsync(admin, "app", "d2", "Disabled");
        using (var none = await client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Contains("503 Service Unavailable", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var back = await SetAsync(admin, "app", "d1", "Config");
        Assert.Equal(("Active", false), ((string)back["state"]!, (bool)back["setAtRuntime"]!));
        Assert.All(await WhichAsync(client, 6), backend => Assert.Equal("one", backend));

        var stats = JsonNode.Parse(await admin.GetStringAsync("stats.json"))!;
        var cluster = stats["clusters"]!.AsArray().Single(c => (string)c!["id"]! == "app")!;
        Assert.Equal("proxy", (string)cluster["layer"]!);
        Assert.Equal("RoundRobin", (string)cluster["loadBalancingPolicy"]!);
        var d2 = cluster["destinations"]!.AsArray().Single(d => (string)d!["id"]! == "d2")!;
        Assert.Equal(("Disabled", true, $"http://{two.Address}/"), ((string)d2["state"]!, (bool)d2["stateSetAtRuntime"]!, (string)d2["address"]!));
        var d1 = cluster["destinations"]!.AsArray().Single(d => (string)d!["id"]! == "d1")!;
        Assert.Equal(("Active", false, "unchecked"), ((string)d1["state"]!, (bool)d1["stateSetAtRuntime"]!, (string)d1["health"]!));
    }

    [Fact]
    public async Task A_pinned_connection_stays_on_its_draining_destination_and_is_closed_when_it_is_disabled()
    {
        await using var first = await IdentityBindingBackend.StartAsync();
        await using var second = await IdentityBindingBackend.StartAsync();
        var gateway = JsonNode.Parse("""{ "Proxy": { "Clusters": { "app": { "ConnectionPinned": true } } } }""")!.AsObject();
        await using var running = await TestGateway.StartAsync(gateway, Proxy(first, second));
        using var admin = Admin(running);

        var connections = 0;
        using var alice = HostClient.Create(running.Https, Host, onConnect: () => Interlocked.Increment(ref connections));
        using (var login = await alice.GetAsync("/login?user=alice&how=persistent"))
        {
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        }

        var (pinned, pinnedBackend, otherBackend) = first.Bindings == 1 ? ("d1", first, second) : ("d2", second, first);
        Assert.Equal(1, pinnedBackend.Bindings);

        await SetAsync(admin, "app", pinned, "Drain");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("user=alice", await alice.GetStringAsync("/whoami"));
        }

        // New connections go to the other destination only.
        for (var i = 0; i < 4; i++)
        {
            using var bob = HostClient.Create(running.Https, Host);
            Assert.Equal("user=", await bob.GetStringAsync("/whoami"));
            using var login = await bob.GetAsync("/login?user=bob&how=persistent");
        }

        Assert.Equal((1, 4), (pinnedBackend.Bindings, otherBackend.Bindings));
        Assert.Equal(1, connections);

        await SetAsync(admin, "app", pinned, "Disabled");
        using (var refused = await alice.GetAsync("/whoami"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.True(refused.Headers.ConnectionClose, "the pinned connection is closed after the answer");
        }

        // The client's next connection is balanced among the others, and carries no identity there.
        Assert.Equal("user=", await alice.GetStringAsync("/whoami"));
        Assert.Equal(2, connections);
        Assert.Equal((1, 4), (pinnedBackend.Bindings, otherBackend.Bindings));

        // Both out: the pinned cluster answers as a pooled one does.
        await SetAsync(admin, "app", pinned == "d1" ? "d2" : "d1", "Disabled");
        using var none = HostClient.Create(running.Https, Host);
        using var unavailable = await none.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Contains("503 Service Unavailable", await unavailable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_affinity_keeps_a_draining_destination_and_moves_off_a_disabled_one()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        var proxy = Proxy(one, two);
        proxy["Clusters"]!["app"]!["SessionAffinity"] = new JsonObject { ["Enabled"] = true, ["Policy"] = "HashCookie", ["AffinityKeyName"] = "Sticky" };
        await using var gateway = await TestGateway.StartAsync(null, proxy);
        using var admin = Admin(gateway);

        using var sticky = HostClient.Create(gateway.Https, Host);
        var bound = (await WhichAsync(sticky, 1))[0];
        Assert.All(await WhichAsync(sticky, 4), backend => Assert.Equal(bound, backend));
        var (boundId, otherName) = bound == "one" ? ("d1", "two") : ("d2", "one");

        await SetAsync(admin, "app", boundId, "Drain");
        Assert.All(await WhichAsync(sticky, 4), backend => Assert.Equal(bound, backend));
        for (var i = 0; i < 4; i++)
        {
            using var fresh = HostClient.Create(gateway.Https, Host);
            Assert.Equal(otherName, (await WhichAsync(fresh, 1))[0]);
        }

        await SetAsync(admin, "app", boundId, "Disabled");
        Assert.All(await WhichAsync(sticky, 4), backend => Assert.Equal(otherName, backend));
    }

    [Fact]
    public async Task A_reload_keeps_the_state_of_a_destination_that_keeps_its_id_and_address_and_drops_it_otherwise()
    {
        await using var one = await TestBackend.StartAsync("one");
        await using var two = await TestBackend.StartAsync("two");
        await using var three = await TestBackend.StartAsync("three");
        await using var gateway = await TestGateway.StartAsync(null, Proxy(one, two));
        using var admin = Admin(gateway);
        using var client = HostClient.Create(gateway.Https, Host);

        await SetAsync(admin, "APP", "D1", "Drain");
        var edited = Proxy(one, two);
        edited["Clusters"]!["app"]!["LoadBalancingPolicy"] = "FirstAlphabetical";
        await gateway.WriteConfigAsync(null, edited);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the edit is applied");
        Assert.All(await WhichAsync(client, 6), backend => Assert.Equal("two", backend));

        // d1 now points at another server: the operator's word about the old one no longer holds.
        var moved = Proxy(three, two);
        moved["Clusters"]!["app"]!["LoadBalancingPolicy"] = "FirstAlphabetical";
        await gateway.WriteConfigAsync(null, moved);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 3, "the move is applied");
        Assert.All(await WhichAsync(client, 3), backend => Assert.Equal("three", backend));

        // Removed and added back: a new destination, Active.
        await SetAsync(admin, "app", "d1", "Disabled");
        var without = Proxy(two);
        without["Clusters"]!["app"]!["Destinations"] = new JsonObject { ["d2"] = new JsonObject { ["Address"] = $"http://{two.Address}/" } };
        await gateway.WriteConfigAsync(null, without);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 4, "the removal is applied");
        await gateway.WriteConfigAsync(null, moved);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 5, "the destination is back");
        Assert.All(await WhichAsync(client, 3), backend => Assert.Equal("three", backend));
    }

    /// <summary>A route for <see cref="Host"/> to cluster "app" of destinations d1, d2... at these backends' addresses, round robin.</summary>
    internal static JsonObject Proxy(params object[] backends)
    {
        var destinations = new JsonObject();
        for (var i = 0; i < backends.Length; i++)
        {
            var address = backends[i] switch { TestBackend t => t.Address, IdentityBindingBackend b => b.Address, var other => other.ToString() };
            destinations[$"d{i + 1}"] = new JsonObject { ["Address"] = $"http://{address}/" };
        }

        return new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray(Host), ["Path"] = "{**catch-all}" } } },
            ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["LoadBalancingPolicy"] = "RoundRobin", ["Destinations"] = destinations } },
        };
    }

    internal static HttpClient Admin(TestGateway gateway) => new() { BaseAddress = new Uri($"http://{gateway.Admin}/") };

    internal static async Task<JsonNode> SetAsync(HttpClient admin, string cluster, string destination, string value, string? layer = null)
    {
        using var response = await admin.PostAsync($"api/clusters/{cluster}/destinations/{destination}/state?value={value}{(layer is null ? "" : "&layer=" + layer)}", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>The names of the backends that answered <paramref name="count"/> requests, one after another.</summary>
    private static async Task<List<string>> WhichAsync(HttpClient client, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            answers.Add((await client.GetStringAsync("/")).Split(' ')[0]);
        }

        return answers;
    }
}
