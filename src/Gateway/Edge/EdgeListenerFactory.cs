using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Limits;
using Gateway.Metrics;
using Gateway.Sockets;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Edge;

/// <summary>
/// Kestrel's transport for <see cref="EdgeEndPoint"/>s (the public listeners): binds the socket and runs the edge's
/// accept loop. The admin listener goes to Kestrel's own socket transport.
/// </summary>
internal sealed partial class EdgeListenerFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    /// <summary>Kestrel's default listen backlog.</summary>
    private const int Backlog = 512;

    private readonly ConnectionRouter _router;
    private readonly ProxyProtocol.ProxyHeaderReceiver _proxyHeaders;
    private readonly TunnelHandler _tunnels;
    private readonly ConnectionLimiter _limiter;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly SocketEngine _sockets;
    private readonly ILogger _logger;
    private readonly ILogger _connectionLogger;
    private readonly IDisposable _faults;

    // The buffers of the pipes of the connections the edge terminates, in TLS-record-sized blocks. There is one pool per
    // affinity group (an epoll loop): a connection rents and returns on the thread of the loop that routed it; one pool
    // shared by the loops bounced Kestrel's counters between the cores (measured in docs/benchmarks.md).
    private readonly MemoryPool<byte>[] _pools;

    public EdgeListenerFactory(ConnectionRouter router, ProxyProtocol.ProxyHeaderReceiver proxyHeaders, TunnelHandler tunnels,
        ConnectionLimiter limiter, GatewayMetrics metrics, SocketEngine sockets, TimeProvider time, ILoggerFactory loggers)
    {
        _time = time;
        _sockets = sockets;
        _limiter = limiter;
        _metrics = metrics;
        _router = router;
        _proxyHeaders = proxyHeaders;
        _tunnels = tunnels;
        _logger = loggers.CreateLogger<EdgeListener>();
        _connectionLogger = loggers.CreateLogger<TerminatedConnection>();

        // The engine outlives this gateway (and is shared with any other in the process): its faults are reported here
        // while this gateway runs.
        var engineLogger = loggers.CreateLogger<SocketEngine>();
        _faults = sockets.OnFault(e =>
        {
            Log.ContinuationFault(engineLogger, e);
            metrics.InternalError(InternalErrors.SocketLoop);
        });
        _pools = new MemoryPool<byte>[sockets.AffinityGroups];
        for (var i = 0; i < _pools.Length; i++)
        {
            _pools[i] = new RecordBlockPool();
        }
    }

    public bool CanBind(EndPoint endpoint) => endpoint is EdgeEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var edge = (EdgeEndPoint)endpoint;
        Socket? socket = null;
        try
        {
            socket = new Socket(edge.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (edge.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(edge);
            socket.Listen(Backlog);
        }
        catch (SocketException e) when (edge.Optional && e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.AddressFamilyNotSupported)
        {
            // IPv6 is off on this machine; localhost is IPv4 alone, as in Kestrel. Any other failure stops the start.
            socket?.Dispose();
            Log.OptionalNotBound(_logger, edge, e.Message);
            return ValueTask.FromResult<IConnectionListener>(new EdgeListener(null, edge, this));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket?.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket?.Dispose();
            throw;
        }

        var bound = edge.WithPort(((IPEndPoint)socket.LocalEndPoint!).Port);
        return ValueTask.FromResult<IConnectionListener>(new EdgeListener(socket, bound, this));
    }

    internal ILogger Logger => _logger;

    internal TimeProvider Time => _time;

    internal TunnelHandler Tunnels => _tunnels;

    internal SocketEngine Sockets => _sockets;

    internal ProxyProtocol.ProxyHeaderReceiver ProxyHeaders => _proxyHeaders;

    internal ConnectionLimiter Limiter => _limiter;

    internal GatewayMetrics Metrics => _metrics;

    internal ConnectionRouter Router => _router;

    /// <summary>Kestrel's connection for <paramref name="client"/>, whose socket it takes over.</summary>
    internal ConnectionContext CreateConnection(ClientConnection client)
    {
        var received = client.TakeReceived();
        return new TerminatedConnection(client.HandOver(), _pools[_sockets.CurrentAffinityGroup], received, client.RemoteEndPoint, client.LocalEndPoint,
            _connectionLogger, _metrics);
    }

    public void Dispose()
    {
        _faults.Dispose();
        foreach (var pool in _pools)
        {
            pool.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.OptionalListenerNotBound, LogLevel.Warning, "Not listening on {EndPoint}: {Error}", EventName = "OptionalListenerNotBound")]
        public static partial void OptionalNotBound(ILogger logger, EndPoint endPoint, string error);

        [LoggerMessage(LogEvents.SocketContinuationFault, LogLevel.Error, "A continuation threw into the socket engine's thread; its connection may hang, the engine's other sockets are served", EventName = "SocketContinuationFault")]
        public static partial void ContinuationFault(ILogger logger, Exception exception);
    }
}
