using System.Collections.Concurrent;

namespace Gateway.Proxy;

/// <summary>Per L7 route and cluster, since start, for the stats page and its history.</summary>
internal sealed class ProxyStats
{
    private readonly ConcurrentDictionary<(string Route, string Cluster), ProxyRouteCounters> _counters = new();

    public IEnumerable<(string Route, string Cluster, ProxyRouteCounters Counters)> All =>
        _counters.Select(kv => (kv.Key.Route, kv.Key.Cluster, kv.Value));

    public ProxyRouteCounters For(string route, string cluster) =>
        _counters.GetOrAdd((route, cluster), static _ => new ProxyRouteCounters());
}
