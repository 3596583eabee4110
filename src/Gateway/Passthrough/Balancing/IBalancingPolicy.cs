using System.Net;

namespace Gateway.Passthrough.Balancing;

/// <summary>Chooses one of the available destinations for a new connection.</summary>
internal interface IBalancingPolicy
{
    string Name { get; }

    /// <param name="available">Non-empty, in config order.</param>
    /// <param name="client">The client address, IPv4-mapped addresses already unmapped; null when unknown.</param>
    PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client);
}
