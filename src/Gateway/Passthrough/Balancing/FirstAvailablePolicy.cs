using System.Net;

namespace Gateway.Passthrough.Balancing;

/// <summary>Active/standby: the first available destination in config order takes everything.</summary>
internal sealed class FirstAvailablePolicy : IBalancingPolicy
{
    public string Name => BalancingPolicies.FirstAvailable;

    public PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client) => available[0];
}
