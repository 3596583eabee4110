using Gateway.Balancing;
using Gateway.Configuration;
using Gateway.Limits;
using Gateway.Metrics;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Sni;

/// <summary>
/// The first connection middleware on the HTTPS listener: decides once per connection, from the
/// ClientHello alone, whether the connection is tunnelled raw (L4) or handed on to TLS termination (L7).
/// </summary>
internal sealed partial class ClientHelloRouter
{
    /// <summary>Connection item holding the <see cref="ClientHelloInfo"/> for the stages after the router.</summary>
    public const string ClientHelloItem = "Gateway.ClientHello";

    private readonly ConnectionDelegate _next;
    private readonly GatewaySnapshotStore _snapshots;
    private readonly TunnelHandler _tunnels;
    private readonly ConnectionLimiter _limiter;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClientHelloRouter(ConnectionDelegate next, GatewaySnapshotStore snapshots, TunnelHandler tunnels, ConnectionLimiter limiter, GatewayMetrics metrics, TimeProvider time, ILogger<ClientHelloRouter> logger)
    {
        _limiter = limiter;
        _next = next;
        _snapshots = snapshots;
        _tunnels = tunnels;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (!await _limiter.TryRunAsync(DestinationPicker.ClientKey(connection.RemoteEndPoint), static s => s.Router.RouteAsync(s.Connection), (Router: this, Connection: connection)))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
        }
    }

    private async Task RouteAsync(ConnectionContext connection)
    {
        var limits = _snapshots.Current.Config.ClientHello;

        // Matching order, decided once per connection (after Gateway:Limits admitted it):
        //  1. Wait (bounded by ClientHello:Timeout and ClientHello:MaxBytes) for a complete ClientHello,
        //     reassembled across TCP segments and TLS records. Anything else is closed here: not TLS,
        //     SSLv2-style, malformed, too large, too slow, or closed early.
        //  2. SNI equal to a passthrough host (case-insensitive, trailing dot ignored) -> tunnel.
        //  3. SNI under a passthrough wildcard, longest suffix first -> tunnel.
        //     Steps 2-3 ignore ALPN: a passthrough host's acme-tls/1 challenge belongs to its backend.
        //     A client the route's Access rules deny is closed before anything is dialled.
        //  3b. Gateway:Tls:UnknownSni = Reject: an SNI no L7 route, redirect or certificate knows (or none) is
        //     closed without a TLS answer.
        //  4. Everything else -> TLS termination and the HTTP pipeline: no SNI, unknown SNI, L7 hosts.
        //     There, ALPN acme-tls/1 for a host with an open tls-alpn-01 challenge gets the challenge
        //     certificate and the connection ends after the handshake (TlsOptionsSelector).
        var started = _time.GetTimestamp();
        (PeekEnd End, ClientHelloResult Result) peek;
        using (var timeout = new CancellationTokenSource(limits.Timeout, _time))
        {
            peek = await ClientHelloReader.PeekAsync(connection.Transport.Input, limits.MaxBytes, timeout.Token);
        }

        _metrics.HelloParsed(_time.GetElapsedTime(started));
        if (peek.End != PeekEnd.Parsed || peek.Result.Status != ClientHelloStatus.Complete)
        {
            Reject(connection, peek.End, peek.Result);
            return;
        }

        var hello = peek.Result.Hello!;
        // The newest generation decides, even if a reload landed while the hello was on its way.
        var snapshot = _snapshots.Current;
        if (snapshot.Passthrough.Match(hello.ServerName) is { } route)
        {
            if (route.Access.Count > 0 && !route.Access.Allows((connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address))
            {
                _metrics.ConnectionRouted(ConnectionOutcomes.Denied);
                return;
            }

            await _tunnels.RunAsync(connection, route, hello.ServerName);
            return;
        }

        if (snapshot.Config.Tls.UnknownSni == UnknownSniAction.Reject && !snapshot.ServesHost(hello.ServerName))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.UnknownSni);
            return;
        }

        _metrics.ConnectionRouted(ConnectionOutcomes.Terminated);
        connection.Items[ClientHelloItem] = hello;
        await _next(connection);
    }

    private void Reject(ConnectionContext connection, PeekEnd end, ClientHelloResult result)
    {
        var outcome = end switch
        {
            PeekEnd.TimedOut => ConnectionOutcomes.HelloTimeout,
            PeekEnd.ClosedEarly => ConnectionOutcomes.ClosedEarly,
            _ => result.Status switch
            {
                ClientHelloStatus.NotTls => ConnectionOutcomes.NotTls,
                ClientHelloStatus.TooLarge => ConnectionOutcomes.TooLarge,
                _ => ConnectionOutcomes.Invalid,
            },
        };
        _metrics.ConnectionRouted(outcome);
        Log.HelloRejected(_logger, connection.ConnectionId, connection.RemoteEndPoint, outcome, result.Reason ?? "");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} closed before routing: {Outcome} {Reason}", EventName = "HelloRejected")]
        public static partial void HelloRejected(ILogger logger, string connectionId, System.Net.EndPoint? remoteEndPoint, string outcome, string reason);
    }
}
