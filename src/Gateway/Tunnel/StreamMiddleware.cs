using Gateway.Balancing;
using Gateway.Configuration;
using Gateway.Limits;
using Gateway.Metrics;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tunnel;

/// <summary>
/// The whole pipeline of a stream listener (Gateway:Passthrough:Streams): every connection is tunnelled to the
/// stream's cluster at once, without waiting for the client to speak - SMTP, for one, speaks first from the server.
/// </summary>
internal sealed class StreamMiddleware
{
    private readonly string _streamId;
    private readonly GatewaySnapshotStore _snapshots;
    private readonly TunnelHandler _tunnels;
    private readonly ConnectionLimiter _limiter;
    private readonly GatewayMetrics _metrics;

    public StreamMiddleware(string streamId, GatewaySnapshotStore snapshots, TunnelHandler tunnels, ConnectionLimiter limiter, GatewayMetrics metrics)
    {
        _streamId = streamId;
        _snapshots = snapshots;
        _tunnels = tunnels;
        _limiter = limiter;
        _metrics = metrics;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var config = _snapshots.Current.Config.Passthrough;
        if (!config.Streams.TryGetValue(_streamId, out var stream) || !config.Clusters.TryGetValue(stream.ClusterId, out var cluster))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.NoDestination); // removed by a reload; its listener stays until restart
            return;
        }

        var route = new PassthroughRoute(_streamId, cluster, Access.AccessRules.None);
        if (!await _limiter.TryRunAsync(DestinationPicker.ClientKey(connection.RemoteEndPoint),
            static s => s.Tunnels.RunAsync(s.Connection, s.Route, serverName: null), (Tunnels: _tunnels, Connection: connection, Route: route)))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
        }
    }
}
