using System.Net;

namespace Gateway.Passthrough.Balancing;

/// <summary>The destination with the fewest open tunnels; ties go to the first in config order.</summary>
internal sealed class LeastConnectionsPolicy : IBalancingPolicy
{
    public string Name => BalancingPolicies.LeastConnections;

    public PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client)
    {
        var best = available[0];
        for (var i = 1; i < available.Count; i++)
        {
            if (available[i].ActiveConnections < best.ActiveConnections)
            {
                best = available[i];
            }
        }

        return best;
    }
}
