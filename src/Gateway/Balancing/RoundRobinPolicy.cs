using System.Net;

namespace Gateway.Balancing;

internal sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicies.RoundRobin;

    public DestinationState Pick(ClusterState cluster, IReadOnlyList<DestinationState> available, IPAddress? client) =>
        available[(int)((uint)cluster.NextRoundRobin() % (uint)available.Count)];
}
