using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Metrics;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy.Pinning;

/// <summary>
/// Keeps connection-bound authentication (NTLM, Negotiate) off pooled backend connections. Over a pool, the
/// connection one client authenticated is later lent to another client, who is then answered as the first
/// user. On every cluster that is not connection-pinned, a request carrying such credentials is not forwarded
/// and a backend's challenge is not passed on: both get a 502 that says what to change.
/// </summary>
internal sealed partial class NtlmGuard(GatewaySnapshotStore snapshots, GatewayMetrics metrics, ILogger<NtlmGuard> logger)
{
    private readonly ConcurrentDictionary<string, bool> _warnedRoutes = new(StringComparer.Ordinal);

    /// <summary>Proxy pipeline step: refuses connection-bound credentials bound for a pooled cluster.</summary>
    public Task CheckRequestAsync(HttpContext context, RequestDelegate next)
    {
        var feature = context.GetReverseProxyFeature();
        var clusterId = feature.Cluster.Config.ClusterId;
        if (!IsConnectionBound(context.Request.Headers.Authorization) || ProxyRequestPolicy.Of(context, snapshots).Pinned is not null)
        {
            return next(context);
        }

        return RefuseAsync(context, feature.Route.Config.RouteId, clusterId, NtlmRefusals.Request);
    }

    /// <summary>Response transform (every route): a backend challenge on a pooled cluster becomes the 502.</summary>
    public ValueTask CheckResponseAsync(ResponseTransformContext transform)
    {
        // Most responses carry no challenge: look before parsing one, which allocates.
        if (transform.ProxyResponse?.Headers is not { } headers || !headers.NonValidated.Contains(HeaderNames.WWWAuthenticate))
        {
            return ValueTask.CompletedTask;
        }

        var feature = transform.HttpContext.GetReverseProxyFeature();
        var clusterId = feature.Cluster.Config.ClusterId;
        if (!headers.WwwAuthenticate.Any(h => IsConnectionBoundScheme(h.Scheme))
            || ProxyRequestPolicy.Of(transform.HttpContext, snapshots).Pinned is not null)
        {
            return ValueTask.CompletedTask;
        }

        transform.SuppressResponseBody = true;
        transform.HttpContext.Response.Headers.Clear();
        return new ValueTask(RefuseAsync(transform.HttpContext, feature.Route.Config.RouteId, clusterId, NtlmRefusals.Response));
    }

    private Task RefuseAsync(HttpContext context, string routeId, string clusterId, string direction)
    {
        metrics.NtlmRefused(routeId, direction);
        if (_warnedRoutes.TryAdd(routeId, true))
        {
            Log.Refused(logger, routeId, clusterId);
        }

        context.Response.StatusCode = StatusCodes.Status502BadGateway;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(
            $"502 Bad Gateway: the backend of route '{routeId}' uses NTLM or Negotiate authentication, which belongs to one connection. " +
            $"Cluster '{clusterId}' shares its backend connections between clients, so one user's login would answer another client's requests. " +
            $"Mark the cluster as connection-pinned: \"Gateway\": {{ \"Proxy\": {{ \"Clusters\": {{ \"{clusterId}\": {{ \"ConnectionPinned\": true }} }} }} }} " +
            "(or \"Preset\": \"Exchange\").\n");
    }

    private static bool IsConnectionBound(StringValues authorization)
    {
        foreach (var value in authorization)
        {
            var scheme = value.AsSpan().TrimStart();
            var space = scheme.IndexOf(' ');
            if (IsConnectionBoundScheme(space < 0 ? scheme : scheme[..space]))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsConnectionBoundScheme(ReadOnlySpan<char> scheme) =>
        scheme.Equals("NTLM", StringComparison.OrdinalIgnoreCase) || scheme.Equals("Negotiate", StringComparison.OrdinalIgnoreCase);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Route {RouteId}: NTLM/Negotiate authentication refused on pooled cluster {ClusterId} (502); set Gateway:Proxy:Clusters:{ClusterId}:ConnectionPinned to true if its backend needs it. Logged once per route; gateway_proxy_ntlm_refused_total counts every refusal", EventName = "NtlmRefused")]
        public static partial void Refused(ILogger logger, string routeId, string clusterId);
    }
}
