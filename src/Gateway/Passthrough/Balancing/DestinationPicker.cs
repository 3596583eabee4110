using System.Buffers;
using System.Net;
using Gateway.Configuration;

namespace Gateway.Passthrough.Balancing;

/// <summary>
/// Picks the destination for a new passthrough connection: the client's sticky destination when it is still
/// available, otherwise the cluster's policy over the available ones, skipping any already tried.
/// </summary>
internal sealed class DestinationPicker
{
    private readonly Dictionary<string, IBalancingPolicy> _policies;

    public DestinationPicker(IEnumerable<IBalancingPolicy> policies) =>
        _policies = policies.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <returns>Null when no destination can take the connection: the client is closed at once.</returns>
    public PassthroughDestination? Pick(PassthroughCluster cluster, IPAddress? client, IReadOnlyCollection<PassthroughDestination>? tried = null)
    {
        var config = cluster.Config;
        var destinations = cluster.Destinations;

        // Pooled: this runs for every new passthrough connection.
        var rented = ArrayPool<PassthroughDestination>.Shared.Rent(destinations.Count);
        try
        {
            var count = 0;
            foreach (var destination in destinations)
            {
                if (destination.IsAvailable && (tried is null || !tried.Contains(destination)))
                {
                    rented[count++] = destination;
                }
            }

            if (count == 0)
            {
                return null;
            }

            var available = new ArraySegment<PassthroughDestination>(rented, 0, count);
            var affinity = config.SessionAffinity;
            if (affinity is not null && client is not null
                && cluster.Affinity.Lookup(client, affinity.Expiry) is { } stickyId
                && Find(available, stickyId) is { } sticky)
            {
                cluster.Affinity.Set(client, sticky.DestinationId, affinity.Expiry, affinity.MaxEntries);
                return sticky;
            }

            var chosen = _policies[config.LoadBalancingPolicy].Pick(cluster, available, client);
            if (affinity is not null && client is not null)
            {
                cluster.Affinity.Set(client, chosen.DestinationId, affinity.Expiry, affinity.MaxEntries);
            }

            return chosen;
        }
        finally
        {
            ArrayPool<PassthroughDestination>.Shared.Return(rented, clearArray: true);
        }
    }

    private static PassthroughDestination? Find(ArraySegment<PassthroughDestination> available, string destinationId)
    {
        foreach (var destination in available)
        {
            if (destination.DestinationId.Equals(destinationId, StringComparison.OrdinalIgnoreCase))
            {
                return destination;
            }
        }

        return null;
    }

    /// <summary>The address affinity and hashing key on: IPv4-mapped IPv6 counts as the IPv4 address.</summary>
    public static IPAddress? ClientKey(EndPoint? remote) => remote is IPEndPoint ip ? Networks.Unmapped(ip.Address) : null;
}
