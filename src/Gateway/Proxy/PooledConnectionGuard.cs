using System.Net.Http.Headers;
using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Microsoft.Net.Http.Headers;

namespace Gateway.Proxy;

/// <summary>
/// The innermost step of a pooled cluster's backend client: judges every answer the moment its headers are in, and
/// closes the connection that carried an answer showing the backend bound an identity to it (see
/// <see cref="BindingScheme"/>), so that connection never goes back to the pool for another client.
/// The pooled-cluster check of the proxy pipeline (NtlmGuard) turns the same answer into the client's 502.
/// </summary>
/// <param name="pool">The client's connections: all closed when a bound one cannot be singled out.</param>
internal sealed partial class PooledConnectionGuard(HttpMessageHandler inner, string clusterId, PooledConnectionSet pool, GenerationStore generations, GatewayMetrics metrics, ILogger logger)
    : DelegatingHandler(inner)
{
    private int _logged;

    /// <summary>IIS's header saying it kept the request's authentication for the connection's next requests.</summary>
    public const string PersistentAuth = "Persistent-Auth";

    /// <summary>
    /// What in a backend answer shows that its connection now carries an identity: a challenge of a scheme that is not
    /// per-request (a Negotiate token on a 200 is mutual authentication completing), a challenge that does not parse
    /// (its schemes are unknown), or IIS's <c>Persistent-Auth</c> other than "false". Null when nothing does.
    /// </summary>
    public static string? BindingScheme(HttpResponseHeaders headers, IReadOnlySet<string> allowed)
    {
        if (headers.NonValidated.TryGetValues(PersistentAuth, out var persistent))
        {
            foreach (var value in persistent)
            {
                if (!value.AsSpan().Trim(" \t").Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    return PersistentAuth;
                }
            }
        }

        if (!headers.NonValidated.TryGetValues(HeaderNames.WWWAuthenticate, out var challenges))
        {
            return null;
        }

        var schemes = new List<string>();
        foreach (var value in challenges)
        {
            if (!HttpAuthScheme.TryReadChallengeSchemes(value, schemes))
            {
                return "(unreadable challenge)";
            }
        }

        return schemes.FirstOrDefault(s => !HttpAuthScheme.PerRequest.Contains(s) && !allowed.Contains(s));
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var exchange = new BackendExchange();
        BackendExchange.Current.Value = exchange;
        HttpResponseMessage? response = null;
        try
        {
            response = await base.SendAsync(request, cancellationToken);
            return response;
        }
        finally
        {
            var scheme = response is null ? null : BindingScheme(response.Headers, generations.Current.Get<ProxyPolicies>().PerRequestAuthSchemes(clusterId));
            exchange.Judge(bound: scheme is not null);
            var closedAll = 0;
            if (scheme is not null && !exchange.ConnectionClosed)
            {
                // Not known which connection carries the identity (HTTP/2 writes every stream from the connection's
                // own loop): none of them may serve anyone again.
                closedAll = pool.AbortAll();
            }

            if (scheme is not null)
            {
                metrics.BackendConnectionClosed(clusterId, exchange.ConnectionClosed ? BoundConnections.Closed : BoundConnections.NotFound);

                // Once per client (a cluster has one per loop): any client can make a Windows-auth backend answer so.
                if (Interlocked.Exchange(ref _logged, 1) == 0)
                {
                    if (exchange.ConnectionClosed)
                    {
                        Log.Closed(logger, clusterId, scheme);
                    }
                    else
                    {
                        Log.NotFound(logger, clusterId, scheme, response!.Version, closedAll);
                    }
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.BoundConnectionClosed, LogLevel.Information, "Cluster {ClusterId}: a backend answer showed {Scheme} authentication bound to its connection; that connection was closed instead of going back to the pool. Logged once; gateway_proxy_bound_backend_connections_total counts every one", EventName = "BoundConnectionClosed")]
        public static partial void Closed(ILogger logger, string clusterId, string scheme);

        [LoggerMessage(LogEvents.BoundConnectionNotFound, LogLevel.Warning, "Cluster {ClusterId}: a backend answer over HTTP/{Version} showed {Scheme} authentication bound to its connection, and the connection could not be told apart from the pool's others; the answer was refused, and all {Closed} connections of the pool were closed, with the requests in flight on them. Logged once; gateway_proxy_bound_backend_connections_total counts every one. A backend that binds identities should be a connection-pinned cluster", EventName = "BoundConnectionNotFound")]
        public static partial void NotFound(ILogger logger, string clusterId, string scheme, Version version, int closed);
    }
}
