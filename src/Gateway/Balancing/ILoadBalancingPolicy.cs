using System.Net;

namespace Gateway.Balancing;

/// <summary>Chooses one of the available destinations for a new connection.</summary>
internal interface ILoadBalancingPolicy
{
    string Name { get; }

    /// <param name="available">Non-empty, in config order.</param>
    /// <param name="client">The client address, IPv4-mapped addresses already unmapped; null when unknown.</param>
    DestinationState Pick(ClusterState cluster, IReadOnlyList<DestinationState> available, IPAddress? client);
}
