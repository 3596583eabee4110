using Gateway.Configuration;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Tunnel;

namespace Gateway.Edge;

/// <summary>
/// What a stream listener (Gateway:Passthrough:Streams) does with a connection: tunnel it to the stream's cluster at
/// once, without waiting for the client to speak - SMTP, for one, speaks first from the server.
/// </summary>
internal sealed class StreamRouter(GatewaySnapshotStore snapshots, TunnelHandler tunnels, GatewayMetrics metrics)
{
    /// <returns>Completes when the connection is over.</returns>
    public async Task RouteAsync(ClientConnection client, string streamId)
    {
        var config = snapshots.Current.Config.Passthrough;
        if (!config.Streams.TryGetValue(streamId, out var stream) || !config.Clusters.TryGetValue(stream.ClusterId, out var cluster))
        {
            metrics.ConnectionRouted(ConnectionOutcomes.NoDestination); // removed by a reload; its listener stays until restart
            return;
        }

        var route = new PassthroughRoute(streamId, cluster, AccessRules.None);
        await tunnels.RunAsync(client, route, serverName: null);
    }
}
