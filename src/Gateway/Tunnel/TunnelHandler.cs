using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gateway.Balancing;
using Gateway.Metrics;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tunnel;

/// <summary>L4: picks a destination for a passthrough connection, dials it, and runs the tunnel to its end.</summary>
internal sealed partial class TunnelHandler
{
    private readonly IDestinationSelector _selector;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TunnelSession, string> _open = new();

    public TunnelHandler(IDestinationSelector selector, GatewayMetrics metrics, TimeProvider time, ILogger<TunnelHandler> logger)
    {
        _selector = selector;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Tunnels open right now.</summary>
    public int ActiveTunnels => _open.Count;

    /// <summary>Closes the open tunnels whose route id matches; returns how many.</summary>
    public int CloseTunnels(Func<string, bool> routeMatches, TunnelEnd reason)
    {
        var closed = 0;
        foreach (var (session, routeId) in _open)
        {
            if (routeMatches(routeId))
            {
                session.Close(reason);
                closed++;
            }
        }

        return closed;
    }

    public async Task RunAsync(ConnectionContext client, PassthroughRoute route, ClientHelloInfo hello)
    {
        var cluster = route.Cluster;
        var destination = _selector.Select(cluster, client);
        if (destination is null)
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.NoDestination);
            Log.NoDestination(_logger, client.RemoteEndPoint, hello.ServerName, route.RouteId, cluster.ClusterId);
            return;
        }

        Socket backend;
        try
        {
            backend = await BackendDialer.ConnectAsync(destination.Address, cluster.ConnectTimeout, _time);
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.ConnectFailed);
            Log.ConnectFailed(_logger, client.RemoteEndPoint, hello.ServerName, route.RouteId, destination.DestinationId, destination.Address.ToString(), e.Message);
            return;
        }

        _metrics.ConnectionRouted(ConnectionOutcomes.Tunnelled);
        _metrics.TunnelOpened(route.RouteId);
        var started = _time.GetTimestamp();
        using var session = new TunnelSession(client, backend, cluster.IdleTimeout, _time);
        _open[session] = route.RouteId;
        var end = TunnelEnd.Aborted;
        try
        {
            end = await session.RunAsync();
        }
        finally
        {
            _open.TryRemove(session, out _);
            _metrics.TunnelClosed(route.RouteId, session.BytesFromClient, session.BytesFromBackend);
            Log.TunnelClosed(_logger, client.RemoteEndPoint, hello.ServerName, route.RouteId, destination.DestinationId,
                session.BytesFromClient, session.BytesFromBackend, _time.GetElapsedTime(started).TotalSeconds, end);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Passthrough {Client} SNI {ServerName}: route {RouteId} has no destination available in cluster {ClusterId}", EventName = "NoDestination")]
        public static partial void NoDestination(ILogger logger, EndPoint? client, string? serverName, string routeId, string clusterId);

        [LoggerMessage(2, LogLevel.Warning, "Passthrough {Client} SNI {ServerName}: route {RouteId} could not reach destination {DestinationId} ({Address}): {Error}", EventName = "ConnectFailed")]
        public static partial void ConnectFailed(ILogger logger, EndPoint? client, string? serverName, string routeId, string destinationId, string address, string error);

        [LoggerMessage(3, LogLevel.Debug, "Tunnel {Client} SNI {ServerName} route {RouteId} destination {DestinationId}: {BytesFromClient} bytes in, {BytesFromBackend} bytes out, {DurationSeconds:0.000} s, ended by {End}", EventName = "TunnelClosed")]
        public static partial void TunnelClosed(ILogger logger, EndPoint? client, string? serverName, string routeId, string destinationId, long bytesFromClient, long bytesFromBackend, double durationSeconds, TunnelEnd end);
    }
}
