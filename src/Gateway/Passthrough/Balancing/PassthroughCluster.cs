
namespace Gateway.Passthrough.Balancing;

/// <summary>
/// The runtime side of a passthrough cluster: its destinations' state, the affinity table, open tunnels.
/// Outlives config generations; <see cref="Update"/> applies a new config and keeps what still matches.
/// </summary>
internal sealed class PassthroughCluster
{
    private readonly TimeProvider _time;
    private PassthroughClusterConfig _config;
    private IReadOnlyList<PassthroughDestination> _destinations;
    private int _roundRobin = -1;
    private int _activeConnections;

    public PassthroughCluster(PassthroughClusterConfig config, TimeProvider time)
    {
        _time = time;
        _config = config;
        _destinations = [.. config.Destinations.Select(d => new PassthroughDestination(d, time))];
        Affinity = new SourceIpAffinityTable(time);
    }

    public string ClusterId => Config.ClusterId;

    public PassthroughClusterConfig Config => Volatile.Read(ref _config);

    /// <summary>In config order.</summary>
    public IReadOnlyList<PassthroughDestination> Destinations => Volatile.Read(ref _destinations);

    public SourceIpAffinityTable Affinity { get; }

    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    public int NextRoundRobin() => Interlocked.Increment(ref _roundRobin);

    /// <summary>Takes a tunnel slot unless MaxConnections is reached.</summary>
    public bool TryOpenConnection()
    {
        var limit = Config.MaxConnections ?? int.MaxValue;
        while (true)
        {
            var current = Volatile.Read(ref _activeConnections);
            if (current >= limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _activeConnections, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    public PassthroughDestination? Find(string destinationId)
    {
        foreach (var destination in Destinations)
        {
            if (destination.DestinationId.Equals(destinationId, StringComparison.OrdinalIgnoreCase))
            {
                return destination;
            }
        }

        return null;
    }

    /// <summary>
    /// A destination that keeps its id and address keeps its health and counters; one whose address changed
    /// starts afresh (what was known was about another server). Affinity entries pointing at a destination
    /// that is gone are replaced on their next use.
    /// </summary>
    public void Update(PassthroughClusterConfig config)
    {
        var destinations = new List<PassthroughDestination>(config.Destinations.Count);
        foreach (var destination in config.Destinations)
        {
            var existing = Find(destination.DestinationId);
            if (existing is not null && existing.Config.Address == destination.Address)
            {
                existing.Config = destination;
                destinations.Add(existing);
            }
            else
            {
                destinations.Add(new PassthroughDestination(destination, _time));
            }
        }

        if (!config.HealthCheck.Enabled)
        {
            foreach (var destination in destinations)
            {
                destination.Health.Reset();
            }
        }

        Volatile.Write(ref _destinations, destinations);
        Volatile.Write(ref _config, config);
    }
}
