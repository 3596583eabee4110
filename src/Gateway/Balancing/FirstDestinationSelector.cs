using Gateway.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Balancing;

/// <summary>Every connection goes to the cluster's first destination, in config order.</summary>
internal sealed class FirstDestinationSelector : IDestinationSelector
{
    public DestinationConfig? Select(PassthroughClusterConfig cluster, ConnectionContext client) =>
        cluster.Destinations.Count > 0 ? cluster.Destinations[0] : null;
}
