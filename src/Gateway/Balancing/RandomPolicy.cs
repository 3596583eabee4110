using System.Net;

namespace Gateway.Balancing;

internal sealed class RandomPolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicies.Random;

#pragma warning disable CA5394 // Spreading load, not security.
    public DestinationState Pick(ClusterState cluster, IReadOnlyList<DestinationState> available, IPAddress? client) =>
        available[System.Random.Shared.Next(available.Count)];
#pragma warning restore CA5394
}
