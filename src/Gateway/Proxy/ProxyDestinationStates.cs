using Gateway.Configuration;
using Gateway.Passthrough;

namespace Gateway.Proxy;

/// <summary>
/// Operators' runtime states of L7 destinations (Drain, Disabled), by YARP cluster and destination id, compared as
/// YARP compares them (ignoring case). Like a passthrough destination's, a state outlives a reload while its
/// destination keeps its id and address, and goes with it. Written rarely (the admin API, a reload), read per request:
/// a write publishes a new table instead of changing the one being read.
/// </summary>
internal sealed class ProxyDestinationStates : IGenerationApplier
{
    private static readonly Table Empty = new(StringComparer.OrdinalIgnoreCase);

    private readonly Lock _writing = new();
    private volatile Table _current = Empty;
    private Table? _beforeApply;

    /// <summary>False while every L7 destination is Active: the per-request step then costs one read.</summary>
    public bool AnySet => _current.Count > 0;

    /// <summary>The states set in a cluster, by destination id; null when none is.</summary>
    public IReadOnlyDictionary<string, Entry>? For(string clusterId) => _current.GetValueOrDefault(clusterId);

    /// <summary>Active unless set otherwise.</summary>
    public DestinationAdminState Get(string clusterId, string destinationId) =>
        For(clusterId)?.GetValueOrDefault(destinationId)?.State ?? DestinationAdminState.Active;

    public bool IsSet(string clusterId, string destinationId) => For(clusterId)?.ContainsKey(destinationId) == true;

    /// <param name="address">The destination's address now: a reload that changes it drops the state.</param>
    /// <param name="state">Null: back to Active (the config has no state for L7 destinations).</param>
    public void Set(string clusterId, string destinationId, string address, DestinationAdminState? state)
    {
        lock (_writing)
        {
            var next = Copy(_current);
            var destinations = next.TryGetValue(clusterId, out var existing)
                ? new Dictionary<string, Entry>(existing, StringComparer.OrdinalIgnoreCase)
                : new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
            if (state is { } set)
            {
                destinations[destinationId] = new Entry(set, address);
            }
            else
            {
                destinations.Remove(destinationId);
            }

            if (destinations.Count == 0)
            {
                next.Remove(clusterId);
            }
            else
            {
                next[clusterId] = destinations;
            }

            _current = next;
        }
    }

    public ValueTask<ConfigError?> ApplyAsync(Generation next, Generation current)
    {
        lock (_writing)
        {
            _beforeApply = _current;
            _current = Kept(_current, next.Get<YarpConfig>());
        }

        return ValueTask.FromResult<ConfigError?>(null);
    }

    public ValueTask RevertAsync(Generation current)
    {
        lock (_writing)
        {
            _current = _beforeApply ?? _current;
            _beforeApply = null;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The states whose destination is still in <paramref name="config"/> with the same address.</summary>
    private static Table Kept(Table states, YarpConfig config)
    {
        var kept = new Table(StringComparer.OrdinalIgnoreCase);
        foreach (var (clusterId, destinations) in states)
        {
            var cluster = config.Clusters.FirstOrDefault(c => string.Equals(c.ClusterId, clusterId, StringComparison.OrdinalIgnoreCase));
            if (cluster?.Destinations is not { } configured)
            {
                continue;
            }

            var still = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
            foreach (var (destinationId, entry) in destinations)
            {
                var match = configured.FirstOrDefault(d => string.Equals(d.Key, destinationId, StringComparison.OrdinalIgnoreCase));
                if (match.Value is { } destination && destination.Address == entry.Address)
                {
                    still[destinationId] = entry;
                }
            }

            if (still.Count > 0)
            {
                kept[clusterId] = still;
            }
        }

        return kept;
    }

    private static Table Copy(Table table) => new(table, StringComparer.OrdinalIgnoreCase);

    internal sealed record Entry(DestinationAdminState State, string Address);

    private sealed class Table : Dictionary<string, IReadOnlyDictionary<string, Entry>>
    {
        public Table(IEqualityComparer<string> comparer)
            : base(comparer)
        {
        }

        public Table(IDictionary<string, IReadOnlyDictionary<string, Entry>> table, IEqualityComparer<string> comparer)
            : base(table, comparer)
        {
        }
    }
}
