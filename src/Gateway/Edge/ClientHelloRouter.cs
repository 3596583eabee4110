using Gateway.Certificates;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Sni;
using Gateway.Tunnel;

namespace Gateway.Edge;

/// <summary>
/// The HTTPS listener's router: decides once per connection, from the ClientHello alone, whether the connection is
/// tunnelled raw (L4) or handed to Kestrel for TLS termination (L7).
/// </summary>
internal sealed partial class ClientHelloRouter
{
    /// <summary>Connection item holding the <see cref="ClientHelloInfo"/> for the stages after the router.</summary>
    public const string ClientHelloItem = "Gateway.ClientHello";

    private readonly GatewaySnapshotStore _snapshots;
    private readonly TunnelHandler _tunnels;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ClientHelloRouter(GatewaySnapshotStore snapshots, TunnelHandler tunnels, GatewayMetrics metrics, TimeProvider time, ILogger<ClientHelloRouter> logger)
    {
        _snapshots = snapshots;
        _tunnels = tunnels;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <param name="terminate">Hands the connection to TLS termination; completes when that connection is over.</param>
    /// <returns>Completes when the connection is over.</returns>
    public async Task RouteAsync(ClientConnection client, Func<ClientConnection, ClientHelloInfo?, Task> terminate)
    {
        var limits = _snapshots.Current.Config.ClientHello;

        // Matching order, decided once per connection (after the edge's Gateway:Limits admitted it):
        //  1. Wait (bounded by ClientHello:Timeout and ClientHello:MaxBytes) for a complete ClientHello,
        //     reassembled across TCP segments and TLS records. Anything else is closed here: not TLS,
        //     SSLv2-style, malformed (an SNI that is not a host name, or is an address, included), too large, too
        //     slow, or closed early.
        //  2. SNI equal to a passthrough host (case-insensitive, one trailing dot ignored) -> tunnel.
        //  3. SNI under a passthrough wildcard, longest suffix first -> tunnel.
        //     Steps 2-3 ignore ALPN: a passthrough host's acme-tls/1 challenge belongs to its backend.
        //     A client the route's Access rules deny is closed before anything is dialled.
        //  3b. Gateway:Tls:UnknownSni = Reject: an SNI no L7 route, redirect or certificate knows (or none) is
        //     closed without a TLS answer.
        //  4. Everything else -> TLS termination and the HTTP pipeline: no SNI, unknown SNI, L7 hosts.
        //     There, ALPN acme-tls/1 for a host with an open tls-alpn-01 challenge gets the challenge
        //     certificate and the connection ends after the handshake (TlsOptionsSelector).
        var started = _time.GetTimestamp();
        (HelloReadEnd End, ClientHelloResult Result) read;
        using (var timeout = new CancellationTokenSource(limits.Timeout, _time))
        using (client.Stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout))
        {
            read = await ClientHelloReader.ReceiveAsync(client, limits.MaxBytes, timeout.Token);
        }

        _metrics.HelloParsed(_time.GetElapsedTime(started));
        if (read.End != HelloReadEnd.Parsed || read.Result.Status != ClientHelloStatus.Complete)
        {
            Reject(client, read.End, read.Result);
            return;
        }

        var hello = read.Result.Hello!;
        // The newest generation decides, even if a reload landed while the hello was on its way.
        var snapshot = _snapshots.Current;
        if (snapshot.Passthrough.Match(hello.ServerName) is { } route)
        {
            if (route.Access.Count > 0 && !route.Access.Allows(client.RemoteEndPoint?.Address))
            {
                _metrics.ConnectionRouted(ConnectionOutcomes.Denied);
                return;
            }

            await _tunnels.RunAsync(client, route, hello.ServerName);
            return;
        }

        if (snapshot.Config.Tls.UnknownSni == UnknownSniAction.Reject && !snapshot.ServesHost(hello.ServerName))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.UnknownSni);
            return;
        }

        _metrics.ConnectionRouted(ConnectionOutcomes.Terminated);
        await terminate(client, hello);
    }

    private void Reject(ClientConnection client, HelloReadEnd end, ClientHelloResult result)
    {
        var outcome = end switch
        {
            HelloReadEnd.TimedOut => ConnectionOutcomes.HelloTimeout,
            HelloReadEnd.ClosedEarly => ConnectionOutcomes.ClosedEarly,
            _ => result.Status switch
            {
                ClientHelloStatus.NotTls => ConnectionOutcomes.NotTls,
                ClientHelloStatus.TooLarge => ConnectionOutcomes.TooLarge,
                _ => ConnectionOutcomes.Invalid,
            },
        };
        _metrics.ConnectionRouted(outcome);
        Log.HelloRejected(_logger, client.RemoteEndPoint, outcome, result.Reason ?? "");
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection from {RemoteEndPoint} closed before routing: {Outcome} {Reason}", EventName = "HelloRejected")]
        public static partial void HelloRejected(ILogger logger, System.Net.EndPoint? remoteEndPoint, string outcome, string reason);
    }
}
