using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gateway.AccessLog;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.ProxyProtocol;
using Gateway.Sockets;

namespace Gateway.Tunnel;

/// <summary>
/// L4: picks a destination for a passthrough connection (affinity, policy, health), dials it - trying the
/// next destination when a connect fails, up to the cluster's Retries - and runs the tunnel to its end.
/// </summary>
internal sealed partial class TunnelHandler : IDisposable
{
    /// <summary>
    /// How often open tunnels are checked against their IdleTimeout, and their bytes added to the metrics: one timer for
    /// all of them.
    /// </summary>
    private static readonly TimeSpan IdleSweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>Where the dial's watch peeks; shared, since the byte itself is never looked at.</summary>
    private static readonly byte[] PeekProbe = new byte[1];

    private readonly PassthroughClusters _clusters;
    private readonly DestinationPicker _picker;
    private readonly GatewayMetrics _metrics;
    private readonly AccessLogWriter _accessLog;
    private readonly TunnelFailures _failures;
    private readonly SocketBudget _sockets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TunnelSession, OpenTunnel> _open = new();
    private readonly ConcurrentDictionary<string, TrafficCounters> _routeTraffic = new(StringComparer.OrdinalIgnoreCase);
    private readonly ITimer _idleSweep;

    public TunnelHandler(PassthroughClusters clusters, DestinationPicker picker, GatewayMetrics metrics, AccessLogWriter accessLog, TunnelFailures failures, SocketBudget sockets, TimeProvider time, ILogger<TunnelHandler> logger)
    {
        _sockets = sockets;
        _clusters = clusters;
        _picker = picker;
        _metrics = metrics;
        _accessLog = accessLog;
        _failures = failures;
        _time = time;
        _logger = logger;
        _idleSweep = time.CreateTimer(static state => ((TunnelHandler)state!).Sweep(), this, IdleSweepInterval, IdleSweepInterval);
    }

    /// <summary>Tunnels open right now.</summary>
    public int ActiveTunnels => _open.Count;

    /// <summary>Open tunnels per route id.</summary>
    public IReadOnlyDictionary<string, int> ActiveByRoute() =>
        _open.Values.GroupBy(r => r.RouteId, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);

    /// <summary>The tunnels open now, in no order.</summary>
    public ICollection<OpenTunnel> Open => _open.Values;

    /// <summary>Traffic per route id (and stream id) since start.</summary>
    public TrafficCounters Traffic(string routeId) => _routeTraffic.GetOrAdd(routeId, static _ => new TrafficCounters());

    /// <summary>Closes the open tunnels whose route id matches; returns how many were not closing already.</summary>
    public int CloseTunnels(Func<string, bool> routeMatches, TunnelEnd reason)
    {
        var closed = 0;
        foreach (var (session, tunnel) in _open)
        {
            if (routeMatches(tunnel.RouteId) && session.Close(reason))
            {
                closed++;
            }
        }

        return closed;
    }

    private void Sweep()
    {
        foreach (var (session, tunnel) in _open)
        {
            CountBytes(session, tunnel.RouteId);
            session.CloseIfIdle();
        }
    }

    private void CountBytes(TunnelSession session, string routeId)
    {
        var (fromClient, fromBackend) = session.TakeUncounted();
        _metrics.TunnelBytes(routeId, fromClient, fromBackend);
    }

    public void Dispose() => _idleSweep.Dispose();

    /// <param name="serverName">The SNI, for the log; null on streams.</param>
    public async Task RunAsync(ClientConnection client, PassthroughRoute route, string? serverName)
    {
        var cluster = _clusters.Get(route.Cluster.ClusterId);
        if (cluster is null || !cluster.TryOpenConnection())
        {
            _metrics.ConnectionRouted(cluster is null ? ConnectionOutcomes.NoDestination : ConnectionOutcomes.RefusedLimit);
            if (cluster is null)
            {
                // A reload removed the cluster between the route's pick and here.
                Traffic(route.RouteId).NoDestinationAvailable();
                _failures.NoDestination(client.RemoteEndPoint, serverName, route.RouteId, route.Cluster.ClusterId);
            }
            else
            {
                Traffic(route.RouteId).LimitReached();
                _failures.ClusterFull(client.RemoteEndPoint, serverName, route.RouteId, route.Cluster.ClusterId);
            }

            return;
        }

        // The backend's descriptor, which L7 requests share: without one the dial could only fail, or starve the process.
        if (!_sockets.TryOpenBackend(ClusterLayers.Passthrough))
        {
            cluster.ConnectionClosed();
            _metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
            Traffic(route.RouteId).LimitReached();
            return;
        }

        try
        {
            var (backend, destination) = await DialAsync(client, cluster, route, serverName);
            if (backend is null || destination is null)
            {
                return;
            }

            _metrics.ConnectionRouted(ConnectionOutcomes.Tunnelled);
            _metrics.TunnelOpened(route.RouteId);
            destination.TunnelEstablished();
            var routeTraffic = Traffic(route.RouteId);
            routeTraffic.Opened();
            destination.Traffic.Opened();
            var at = _time.GetUtcNow();
            var started = _time.GetTimestamp();
            using var session = new TunnelSession(client, backend, route.Cluster.IdleTimeout, _time, routeTraffic, destination.Traffic);
            _open[session] = new OpenTunnel(session, route.RouteId, serverName, destination.DestinationId, client.RemoteEndPoint, at);
            var end = TunnelEnd.Aborted;
            try
            {
                end = await session.RunAsync();
            }
            finally
            {
                _open.TryRemove(session, out _);
                destination.ConnectionClosed();
                routeTraffic.Closed();
                destination.Traffic.Closed();
                CountEnd(routeTraffic, end);
                CountEnd(destination.Traffic, end);
                var duration = _time.GetElapsedTime(started);
                CountBytes(session, route.RouteId);
                _metrics.TunnelClosed(route.RouteId, duration, end.ToString());
                Log.TunnelClosed(_logger, client.RemoteEndPoint, serverName, route.RouteId, destination.DestinationId,
                    session.BytesFromClient, session.BytesFromBackend, duration.TotalSeconds, end);
                if (_accessLog.Enabled)
                {
                    var remote = client.RemoteEndPoint as IPEndPoint;
                    _accessLog.Write(new AccessLogEntry
                    {
                        Time = at,
                        ClientAddress = remote?.Address,
                        ClientPort = remote?.Port ?? 0,
                        Tunnel = true,
                        Sni = serverName,
                        BytesIn = session.BytesFromClient,
                        BytesOut = session.BytesFromBackend,
                        Duration = duration,
                        Route = route.RouteId,
                        Cluster = route.Cluster.ClusterId,
                        Destination = destination.DestinationId,
                        End = end.ToString(),
                    });
                }
            }
        }
        finally
        {
            cluster.ConnectionClosed();
            _sockets.CloseBackend();
        }
    }

    private async Task<(SocketIo? Backend, PassthroughDestination? Destination)> DialAsync(ClientConnection client, PassthroughCluster cluster, PassthroughRoute route, string? serverName)
    {
        // A client that resets while we dial frees its slots now, not after ConnectTimeout x Retries: a wait for it to
        // be readable watches it (after its ClientHello it waits for the backend's answer) and cancels the dial. Its
        // FIN does not: a client may send its request and shut its side down (a half-close), and still wait for the
        // answer, so the dial goes on and the tunnel delivers what it sent, then the FIN.
        using var dialing = CancellationTokenSource.CreateLinkedTokenSource(client.Stopping);
        var watch = WatchClientAsync(client.Io, dialing);
        try
        {
            return await DialAttemptsAsync(client, cluster, route, serverName, dialing.Token);
        }
        finally
        {
            // Cancelled inline: a hop to the thread pool for it would cost every new tunnel a thread wake-up.
            dialing.Cancel();
            await watch;
        }
    }

    /// <summary>Cancels <paramref name="dialing"/> when the client resets; ends when the dial is over or the client sent more.</summary>
    private static async Task WatchClientAsync(SocketIo client, CancellationTokenSource dialing)
    {
        try
        {
            while (true)
            {
                var seen = client.ReadVersion;
                var peeked = client.Receive(PeekProbe, SocketFlags.Peek, out var error);
                if (error == SocketError.WouldBlock)
                {
                    if (await client.WaitReadableOrCanceledAsync(seen, dialing.Token))
                    {
                        continue;
                    }

                    // The dial is over (the common end, without an exception), or the client's socket stopped being watched.
                    if (!dialing.IsCancellationRequested)
                    {
                        dialing.Cancel();
                    }

                    return;
                }

                if (error != SocketError.Success)
                {
                    dialing.Cancel(); // a reset
                }

                return; // more data, or its FIN: either is for the tunnel to deliver
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            dialing.Cancel();
        }
    }

    private async Task<(SocketIo? Backend, PassthroughDestination? Destination)> DialAttemptsAsync(ClientConnection client, PassthroughCluster cluster, PassthroughRoute route, string? serverName,
        CancellationToken abort)
    {
        var config = cluster.Config;
        var clientKey = DestinationPicker.ClientKey(client.RemoteEndPoint);
        List<PassthroughDestination>? tried = null;
        for (var attempt = 0; attempt <= config.Retries; attempt++)
        {
            var destination = _picker.Pick(cluster, clientKey, tried);
            if (destination is null)
            {
                break;
            }

            // Counted from the pick, not from the connect: a burst of new clients must not all see the same
            // "least busy" destination while their dials are in flight.
            destination.ConnectionOpened();
            var connected = false;
            try
            {
                var backend = await BackendDialer.ConnectAsync(destination.Config.Address, config.ConnectTimeout, _time, client.Io, abort);
                if (config.ProxyProtocol != ProxyProtocolVersion.None)
                {
                    await SendProxyHeaderAsync(backend, config.ProxyProtocol, client);
                }

                connected = true;
                return (backend, destination);
            }
            catch (OperationCanceledException) when (abort.IsCancellationRequested)
            {
                _metrics.ConnectionRouted(ConnectionOutcomes.ClosedEarly);
                return (null, null);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets)
            {
                // The gateway is out of descriptors, not the destination down: no health failure, and no other
                // destination would do better.
                _metrics.ConnectionRouted(ConnectionOutcomes.ConnectFailed);
                _failures.ConnectFailed(client.RemoteEndPoint, serverName, route.RouteId, cluster.ClusterId, destination.DestinationId, destination.Config.Address, e.Message);
                return (null, null);
            }
            catch (Exception e) when (e is SocketException or TimeoutException)
            {
                _metrics.ConnectFailed(cluster.ClusterId, destination.DestinationId);
                destination.Traffic.ConnectFailed();
                Traffic(route.RouteId).ConnectFailed();
                _failures.ConnectFailed(client.RemoteEndPoint, serverName, route.RouteId, cluster.ClusterId, destination.DestinationId, destination.Config.Address, e.Message);
                if (config.HealthCheck.Enabled && destination.Health.RecordFailure(config.HealthCheck.Fall) == HealthStatus.Unhealthy)
                {
                    Log.MarkedDown(_logger, cluster.ClusterId, destination.DestinationId, config.HealthCheck.Fall);
                }

                (tried ??= []).Add(destination);
            }
            finally
            {
                if (!connected)
                {
                    destination.ConnectionClosed();
                }
            }
        }

        _metrics.ConnectionRouted(tried is null ? ConnectionOutcomes.NoDestination : ConnectionOutcomes.ConnectFailed);
        if (tried is null)
        {
            Traffic(route.RouteId).NoDestinationAvailable();
            _failures.NoDestination(client.RemoteEndPoint, serverName, route.RouteId, cluster.ClusterId);
        }

        return (null, null);
    }

    private static void CountEnd(TrafficCounters counters, TunnelEnd end)
    {
        switch (end)
        {
            case TunnelEnd.ClientError:
                counters.ClientError();
                break;
            case TunnelEnd.BackendError:
                counters.BackendError();
                break;
            case TunnelEnd.IdleTimeout:
                counters.IdleTimeout();
                break;
        }
    }

    /// <summary>The client as this connection knows it (after an accepted PROXY header, the original one).</summary>
    private static async Task SendProxyHeaderAsync(SocketIo backend, ProxyProtocolVersion version, ClientConnection client)
    {
        var header = version == ProxyProtocolVersion.V1
            ? ProxyHeaderWriter.V1(client.RemoteEndPoint, client.LocalEndPoint)
            : ProxyHeaderWriter.V2(client.RemoteEndPoint, client.LocalEndPoint);
        try
        {
            await backend.SendAllAsync(header);
        }
        catch
        {
            backend.Close();
            throw;
        }
    }

    private static partial class Log
    {
        // The connection log, one line per tunnel like HAProxy's tcplog.
        [LoggerMessage(LogEvents.TunnelClosed, LogLevel.Debug, "Tunnel {Client} SNI {ServerName} route {RouteId} destination {DestinationId}: {BytesFromClient} bytes in, {BytesFromBackend} bytes out, {DurationSeconds:0.000} s, ended by {End}", EventName = "TunnelClosed")]
        public static partial void TunnelClosed(ILogger logger, EndPoint? client, string? serverName, string routeId, string destinationId, long bytesFromClient, long bytesFromBackend, double durationSeconds, TunnelEnd end);

        [LoggerMessage(LogEvents.DestinationDownOnConnect, LogLevel.Warning, "Destination {DestinationId} of cluster {ClusterId} is down after {Fall} consecutive failures", EventName = "DestinationDownOnConnect")]
        public static partial void MarkedDown(ILogger logger, string clusterId, string destinationId, int fall);
    }
}
