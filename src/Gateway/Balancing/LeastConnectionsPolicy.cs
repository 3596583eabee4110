using System.Net;

namespace Gateway.Balancing;

/// <summary>The destination with the fewest open tunnels; ties go to the first in config order.</summary>
internal sealed class LeastConnectionsPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicies.LeastConnections;

    public DestinationState Pick(ClusterState cluster, IReadOnlyList<DestinationState> available, IPAddress? client)
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
