using System.Net;

namespace Gateway.Balancing;

/// <summary>Active/standby: the first available destination in config order takes everything.</summary>
internal sealed class FirstAvailablePolicy : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicies.FirstAvailable;

    public DestinationState Pick(ClusterState cluster, IReadOnlyList<DestinationState> available, IPAddress? client) => available[0];
}
