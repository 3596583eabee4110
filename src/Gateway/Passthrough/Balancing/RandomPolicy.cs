using System.Net;

namespace Gateway.Passthrough.Balancing;

internal sealed class RandomPolicy : IBalancingPolicy
{
    public string Name => BalancingPolicies.Random;

#pragma warning disable CA5394 // Spreading load, not security.
    public PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client) =>
        available[System.Random.Shared.Next(available.Count)];
#pragma warning restore CA5394
}
