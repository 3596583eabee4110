using Gateway.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Balancing;

/// <summary>Chooses the destination of a cluster for a new passthrough connection; null when none can take it.</summary>
internal interface IDestinationSelector
{
    DestinationConfig? Select(PassthroughClusterConfig cluster, ConnectionContext client);
}
