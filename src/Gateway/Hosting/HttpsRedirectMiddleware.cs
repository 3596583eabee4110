using System.Globalization;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Hosting;

/// <summary>
/// On the :80 listener, answers every request with a 308 to the same host, path and query over https, except for
/// hosts of routes with ForceHttps off.
/// 308 (not 301) so a POST stays a POST with its body.
/// </summary>
internal sealed class HttpsRedirectMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GatewaySnapshotStore _snapshots;
    private readonly GatewayListeners _listeners;

    public HttpsRedirectMiddleware(RequestDelegate next, GatewaySnapshotStore snapshots, GatewayListeners listeners)
    {
        _next = next;
        _snapshots = snapshots;
        _listeners = listeners;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Listener() != ListenerKind.Http)
        {
            return _next(context);
        }

        var host = context.Request.Host;
        if (_snapshots.Current.ProxyPolicies.ServesPlainHttp(host.Host))
        {
            return _next(context); // a route with ForceHttps off: proxied over plain HTTP
        }

        if (!host.HasValue || string.IsNullOrEmpty(host.Host))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var port = _snapshots.Current.Config.Listeners.HttpsPublicPort ?? _listeners.Https?.Port ?? 443;
        var authority = port == 443 ? host.Host : host.Host + ":" + port.ToString(CultureInfo.InvariantCulture);

        // The raw target keeps the path exactly as the client sent it (encoding included);
        // an absolute-form target ("GET http://host/x") falls back to the decoded path.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            target = (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent();
        }

        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = "https://" + authority + target;
        return Task.CompletedTask;
    }
}
