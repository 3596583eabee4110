using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy.Pinning;

/// <summary>
/// Keeps connection-bound authentication (NTLM, Negotiate, Kerberos, CredSSP and any scheme not known to be
/// per-request) off pooled backend connections. Over a pool, the connection one client authenticated is later lent
/// to another client, who is then answered as the first user. On every cluster that is not connection-pinned, only
/// credentials of an allow-listed per-request scheme (<see cref="HttpAuthScheme.PerRequest"/>, plus the cluster's
/// <c>PerRequestAuthSchemes</c>) are forwarded, and a backend answer that shows it bound an identity to its
/// connection is not passed on; both get a 502 that says what to change. The backend connection that carried such an
/// answer is closed by <see cref="PooledConnectionGuard"/> before anyone else can use it.
/// </summary>
internal sealed partial class NtlmGuard(GenerationStore generations, GatewayMetrics metrics, ILogger<NtlmGuard> logger)
{
    private readonly ConcurrentDictionary<string, bool> _warnedRoutes = new(StringComparer.Ordinal);

    /// <summary>Proxy pipeline step: refuses credentials other than per-request ones bound for a pooled cluster.</summary>
    public Task CheckRequestAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Request.Headers;
        if (headers.Authorization.Count == 0 && headers.ProxyAuthorization.Count == 0)
        {
            return next(context);
        }

        var request = ProxyRequestPolicy.Of(context, generations);
        if (request.Pinned is not null)
        {
            return next(context);
        }

        var feature = context.GetReverseProxyFeature();
        var clusterId = feature.Cluster.Config.ClusterId;
        var allowed = request.Policies.PerRequestAuthSchemes(clusterId);
        var refused = RefusedScheme(headers.Authorization, allowed) ?? RefusedScheme(headers.ProxyAuthorization, allowed);
        return refused is null ? next(context) : RefuseAsync(context, feature.Route.Config.RouteId, clusterId, refused, NtlmRefusals.Request);
    }

    /// <summary>Response transform (every route): an answer that binds the backend connection becomes the 502.</summary>
    public ValueTask CheckResponseAsync(ResponseTransformContext transform)
    {
        // Most responses carry neither header: look before anything else.
        if (transform.ProxyResponse?.Headers is not { } headers
            || (!headers.NonValidated.Contains(HeaderNames.WWWAuthenticate) && !headers.NonValidated.Contains(PooledConnectionGuard.PersistentAuth)))
        {
            return ValueTask.CompletedTask;
        }

        var request = ProxyRequestPolicy.Of(transform.HttpContext, generations);
        var feature = transform.HttpContext.GetReverseProxyFeature();
        var clusterId = feature.Cluster.Config.ClusterId;
        if (request.Pinned is not null || PooledConnectionGuard.BindingScheme(headers, request.Policies.PerRequestAuthSchemes(clusterId)) is not { } scheme)
        {
            return ValueTask.CompletedTask;
        }

        transform.SuppressResponseBody = true;
        transform.HttpContext.Response.Headers.Clear();
        return new ValueTask(RefuseAsync(transform.HttpContext, feature.Route.Config.RouteId, clusterId, scheme, NtlmRefusals.Response));
    }

    private static string? RefusedScheme(StringValues credentials, IReadOnlySet<string> allowed)
    {
        foreach (var value in credentials)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            if (!HttpAuthScheme.TryReadCredentials(value, out var scheme, out _))
            {
                return "(unreadable credentials)";
            }

            var name = scheme.ToString();
            if (!HttpAuthScheme.PerRequest.Contains(name) && !allowed.Contains(name))
            {
                return name;
            }
        }

        return null;
    }

    private Task RefuseAsync(HttpContext context, string routeId, string clusterId, string scheme, string direction)
    {
        metrics.NtlmRefused(routeId, direction);
        GatewayAnswer.Set(context, "ntlm-refused");
        if (_warnedRoutes.TryAdd(routeId, true))
        {
            Log.Refused(logger, routeId, scheme, clusterId);
        }

        context.Response.StatusCode = StatusCodes.Status502BadGateway;

        // Over HTTP/1.1 YARP has already copied a backend's own reason phrase ("401 Login Required"), which would follow
        // the new status onto the client's status line ("502 Login Required"): without one, Kestrel writes "Bad Gateway".
        if (context.Features.Get<IHttpResponseFeature>() is { } response)
        {
            response.ReasonPhrase = null;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        var pin = $"\"Gateway\": {{ \"Proxy\": {{ \"Clusters\": {{ \"{clusterId}\": {{ \"ConnectionPinned\": true }} }} }} }} (or \"Preset\": \"Exchange\")";
        var what = direction == NtlmRefusals.Request ? "the request's credentials use" : "the backend answered with";
        return context.Response.WriteAsync(HttpAuthScheme.ConnectionBound.Contains(scheme) || scheme == PooledConnectionGuard.PersistentAuth || scheme.StartsWith('(')
            ? $"502 Bad Gateway: on route '{routeId}', {what} {scheme} authentication, which belongs to one connection. " +
              $"Cluster '{clusterId}' shares its backend connections between clients, so one user's login would answer another client's requests. " +
              $"Mark the cluster as connection-pinned: {pin}.\n"
            : $"502 Bad Gateway: on route '{routeId}', {what} the '{scheme}' authentication scheme, which is not known to authenticate each request alone. " +
              $"Cluster '{clusterId}' shares its backend connections between clients. If '{scheme}' authenticates every request by itself, list it: " +
              $"\"Gateway\": {{ \"Proxy\": {{ \"Clusters\": {{ \"{clusterId}\": {{ \"PerRequestAuthSchemes\": [ \"{scheme}\" ] }} }} }} }}; " +
              $"if it binds a login to the connection, mark the cluster as connection-pinned: {pin}.\n");
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.NtlmRefused, LogLevel.Warning, "Route {RouteId}: {Scheme} authentication refused on pooled cluster {ClusterId} (502): it is not a per-request scheme; set Gateway:Proxy:Clusters:{ClusterId}:ConnectionPinned to true if its backend needs it. Logged once per route; gateway_proxy_ntlm_refused_total counts every refusal", EventName = "NtlmRefused")]
        public static partial void Refused(ILogger logger, string routeId, string scheme, string clusterId);
    }
}
