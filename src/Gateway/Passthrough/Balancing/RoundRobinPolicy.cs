using System.Net;

namespace Gateway.Passthrough.Balancing;

internal sealed class RoundRobinPolicy : IBalancingPolicy
{
    public string Name => BalancingPolicies.RoundRobin;

    public PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client) =>
        available[(int)((uint)cluster.NextRoundRobin() % (uint)available.Count)];
}
