using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.Sni;
using Gateway.Tunnel;

namespace Gateway.Edge;

/// <summary>
/// The one place a public connection's way is decided, once per connection and after the limits admitted it: HTTPS
/// by its ClientHello alone (tunnel raw, or terminate TLS here), a stream straight to its cluster, HTTP to Kestrel.
/// The matching order is written down in docs/configuration.md, "How the router matches a host".
/// </summary>
internal sealed partial class ConnectionRouter
{
    private readonly GenerationStore _generations;
    private readonly TunnelHandler _tunnels;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public ConnectionRouter(GenerationStore generations, TunnelHandler tunnels, GatewayMetrics metrics, TimeProvider time, ILogger<ConnectionRouter> logger)
    {
        _generations = generations;
        _tunnels = tunnels;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Decides where the connection goes, after reading its ClientHello on an HTTPS listener.</summary>
    /// <remarks>
    /// Deciding and running are two steps so that nothing of the routing lasts as long as the connection: the edge
    /// awaits the decision, then <see cref="RunAsync"/>, which is not async itself. An idle tunnel holds no router state.
    /// </remarks>
    public ValueTask<RouteDecision> DecideAsync(EdgeEndPoint endpoint, ClientConnection client) => endpoint.Kind switch
    {
        ListenerKind.Https => DecideHelloAsync(client),
        ListenerKind.Stream => new(DecideStream(endpoint.StreamId!)),
        _ => new(DecideHttp()),
    };

    /// <param name="terminate">Hands the connection to Kestrel (TLS termination for HTTPS); completes when that connection is over.</param>
    /// <returns>Completes when the connection is over.</returns>
    public Task RunAsync(RouteDecision decision, ClientConnection client, Func<ClientConnection, ClientHelloInfo?, Task> terminate) =>
        decision.Tunnel is { } route ? _tunnels.RunAsync(client, route, decision.ServerName)
        : decision.Terminate ? terminate(client, decision.Hello)
        : Task.CompletedTask;

    private async ValueTask<RouteDecision> DecideHelloAsync(ClientConnection client)
    {
        var limits = _generations.Current.Get<ClientHelloConfig>();
        var started = _time.GetTimestamp();
        (HelloReadEnd End, ClientHelloResult Result) read;
        // Measured from the accept, not from here: behind a trusted balancer the PROXY header took its share already.
        using (var timeout = new CancellationTokenSource(client.TimeLeft(limits.Timeout, _time), _time))
        using (client.Stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout))
        {
            read = await ClientHelloReader.ReceiveAsync(client, limits.MaxBytes, timeout.Token);
        }

        _metrics.HelloParsed(_time.GetElapsedTime(started));
        if (read.End != HelloReadEnd.Parsed || read.Result.Status != ClientHelloStatus.Complete)
        {
            Reject(client, read.End, read.Result);
            return RouteDecision.Close;
        }

        var hello = read.Result.Hello!;

        // The newest generation decides, even if a reload landed while the hello was on its way.
        var generation = _generations.Current;
        if (generation.Get<PassthroughRoutes>().Match(hello.ServerName) is { } route)
        {
            if (route.Access.Count > 0 && !route.Access.Allows(client.RemoteEndPoint?.Address))
            {
                _metrics.ConnectionRouted(ConnectionOutcomes.Denied);
                return RouteDecision.Close;
            }

            return RouteDecision.ToTunnel(route, hello.ServerName);
        }

        if (generation.Get<TlsConfig>().UnknownSni == UnknownSniAction.Reject && !Terminates(generation, hello.ServerName))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.UnknownSni);
            return RouteDecision.Close;
        }

        _metrics.ConnectionRouted(ConnectionOutcomes.Terminated);
        return RouteDecision.ToKestrel(hello);
    }

    /// <summary>
    /// The HTTP listener hands every connection to Kestrel (redirects, ACME http-01). Counted as terminated, as a TLS
    /// connection handed to Kestrel is, so the outcomes add up to the connections accepted.
    /// </summary>
    private RouteDecision DecideHttp()
    {
        _metrics.ConnectionRouted(ConnectionOutcomes.Terminated);
        return RouteDecision.ToKestrel(null);
    }

    /// <summary>A stream listener tunnels at once, without waiting for the client to speak: SMTP, for one, speaks first from the server.</summary>
    private RouteDecision DecideStream(string streamId)
    {
        var config = _generations.Current.Get<PassthroughConfig>();
        if (!config.Streams.TryGetValue(streamId, out var stream) || !config.Clusters.TryGetValue(stream.ClusterId, out var cluster))
        {
            _metrics.ConnectionRouted(ConnectionOutcomes.NoDestination); // removed by a reload; its listener stays until restart
            return RouteDecision.Close;
        }

        return RouteDecision.ToTunnel(new PassthroughRoute(streamId, cluster, AccessRules.None), serverName: null);
    }

    /// <summary>True when something terminated here answers <paramref name="serverName"/>: an L7 route or redirect, a configured certificate, an ACME host.</summary>
    private static bool Terminates(Generation generation, string? serverName) =>
        serverName is not null
        && (generation.Get<ProxyPolicies>().Knows(serverName) || generation.Get<CertificateSet>().Match(serverName) is not null
            || generation.Get<AcmeHosts>().Contains(serverName));

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
        [LoggerMessage(LogEvents.HelloRejected, LogLevel.Debug, "Connection from {RemoteEndPoint} closed before routing: {Outcome} {Reason}", EventName = "HelloRejected")]
        public static partial void HelloRejected(ILogger logger, System.Net.EndPoint? remoteEndPoint, string outcome, string reason);
    }
}
