using System.Net;
using Gateway.Configuration;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Balancing;

public sealed class AffinityAndHashingTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void An_entry_expires_after_Expiry_without_use_and_each_use_refreshes_it()
    {
        var table = new SourceIpAffinityTable(_time);
        var client = IPAddress.Parse("127.0.0.9");
        var expiry = TimeSpan.FromMinutes(30);
        table.Set(client, "a", expiry, 10);

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal("a", table.Lookup(client, expiry));
        table.Set(client, "a", expiry, 10);
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Equal("a", table.Lookup(client, expiry));

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(table.Lookup(client, expiry));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void MaxEntries_evicts_the_least_recently_used()
    {
        var table = new SourceIpAffinityTable(_time);
        var expiry = TimeSpan.FromMinutes(30);
        for (var i = 1; i <= 3; i++)
        {
            table.Set(IPAddress.Parse($"127.0.0.{i}"), "d" + i, expiry, maxEntries: 3);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        table.Set(IPAddress.Parse("127.0.0.1"), "d1", expiry, 3); // .1 is now the most recent
        table.Set(IPAddress.Parse("127.0.0.4"), "d4", expiry, 3);

        Assert.Equal(3, table.Count);
        Assert.Null(table.Lookup(IPAddress.Parse("127.0.0.2"), expiry));
        Assert.Equal("d1", table.Lookup(IPAddress.Parse("127.0.0.1"), expiry));
        Assert.Equal("d4", table.Lookup(IPAddress.Parse("127.0.0.4"), expiry));
    }

    [Fact]
    public void A_sticky_client_is_rehomed_when_its_destination_goes_down_and_stays_there()
    {
        var cluster = Cluster(BalancingPolicies.RoundRobin, affinity: true, "a", "b", "c");
        var picker = Picker();
        var client = IPAddress.Parse("127.0.0.5");
        var first = picker.Pick(cluster, client)!;
        Assert.All(Enumerable.Range(0, 10), _ => Assert.Same(first, picker.Pick(cluster, client)));

        first.Health.RecordFailure(fall: 1);
        var second = picker.Pick(cluster, client)!;
        Assert.NotSame(first, second);

        first.Health.RecordSuccess(rise: 1);
        Assert.Same(second, picker.Pick(cluster, client)); // the new home sticks
    }

    [Fact]
    public void Ipv4_mapped_ipv6_clients_count_as_their_ipv4_address()
    {
        var mapped = new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.5"), 1234);

        Assert.Equal(IPAddress.Parse("127.0.0.5"), DestinationPicker.ClientKey(mapped));
    }

    [Fact]
    public void SourceIpHash_moves_only_the_clients_of_a_destination_that_goes_down()
    {
        var cluster = Cluster(BalancingPolicies.SourceIpHash, affinity: false, "a", "b", "c", "d");
        var picker = Picker();
        var clients = Enumerable.Range(0, 2000).Select(i => new IPAddress([127, 1, (byte)(i / 250), (byte)(i % 250)])).ToList();
        var before = clients.ToDictionary(c => c, c => picker.Pick(cluster, c)!.DestinationId);
        Assert.All(before.Values.GroupBy(v => v), g => Assert.InRange(g.Count(), 350, 650));

        cluster.Find("c")!.Health.RecordFailure(fall: 1);
        var after = clients.ToDictionary(c => c, c => picker.Pick(cluster, c)!.DestinationId);

        Assert.All(clients, c => Assert.True(before[c] == "c" ? after[c] != "c" : after[c] == before[c], $"{c} moved from {before[c]} to {after[c]}"));
    }

    [Fact]
    public void A_reload_keeps_health_and_affinity_for_destinations_that_keep_their_address()
    {
        var store = new PassthroughClusters(_time);
        var config = ClusterConfig(BalancingPolicies.RoundRobin, affinity: true, "a", "b");
        store.Apply(new PassthroughConfig(new Dictionary<string, PassthroughRouteConfig>(), new Dictionary<string, PassthroughClusterConfig> { ["pool"] = config }, new Dictionary<string, StreamConfig>()));
        var cluster = store.Get("pool")!;
        cluster.Find("a")!.Health.RecordFailure(fall: 1);
        cluster.Affinity.Set(IPAddress.Parse("127.0.0.5"), "b", TimeSpan.FromMinutes(1), 10);

        var moved = config with { Destinations = [config.Destinations[0], config.Destinations[1] with { Address = new HostPort("127.0.0.1", 9999) }], Retries = 3 };
        store.Apply(new PassthroughConfig(new Dictionary<string, PassthroughRouteConfig>(), new Dictionary<string, PassthroughClusterConfig> { ["pool"] = moved }, new Dictionary<string, StreamConfig>()));

        Assert.Same(cluster, store.Get("pool"));
        Assert.Equal(HealthStatus.Unhealthy, cluster.Find("a")!.Health.Status);
        Assert.Equal(HealthStatus.Unknown, cluster.Find("b")!.Health.Status);
        Assert.Equal(1, cluster.Affinity.Count);
        Assert.Equal(3, cluster.Config.Retries);
    }

    private PassthroughCluster Cluster(string policy, bool affinity, params string[] destinations) => new(ClusterConfig(policy, affinity, destinations), _time);

    private static PassthroughClusterConfig ClusterConfig(string policy, bool affinity, params string[] destinations) => new(
        "pool",
        [.. destinations.Select((d, i) => new PassthroughDestinationConfig(d, new HostPort("127.0.0.1", 9000 + i)))],
        TimeSpan.FromSeconds(1),
        TimeSpan.FromHours(1),
        policy,
        affinity ? new SourceIpAffinityConfig(TimeSpan.FromMinutes(30), 1000) : null,
        PassthroughHealthCheckConfig.Disabled with { Enabled = true },
        Retries: 1,
        MaxConnections: null);

    private static DestinationPicker Picker() => new(
        [new RoundRobinPolicy(), new LeastConnectionsPolicy(), new RandomPolicy(), new FirstAvailablePolicy(), new SourceIpHashPolicy()]);
}
