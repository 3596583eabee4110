using System.Globalization;
using Gateway.Configuration;
using Gateway.Core;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// On the :80 listener, answers every request with a 308 to the same host, path and query over https. Hosts that a
/// route with ForceHttps off serves go on to routing; there the matched route decides (<see cref="Proxy.PlainHttpGuard"/>).
/// 308 (not 301) so a POST stays a POST with its body.
/// </summary>
internal sealed class HttpsRedirectMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GenerationStore _generations;
    private readonly GatewayListeners _listeners;

    public HttpsRedirectMiddleware(RequestDelegate next, GenerationStore generations, GatewayListeners listeners)
    {
        _next = next;
        _generations = generations;
        _listeners = listeners;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Listener() != ListenerKind.Http)
        {
            return _next(context);
        }

        // A host some route serves with ForceHttps off is decided after routing, by the route that matches.
        return _generations.Current.Get<ProxyPolicies>().MayServePlainHttp(context.Request.Host.Host)
            ? _next(context)
            : Redirect(context, _generations, _listeners);
    }

    /// <summary>Answers with a 308 to the same host, path and query over https (400 without a Host).</summary>
    public static Task Redirect(HttpContext context, GenerationStore generations, GatewayListeners listeners)
    {
        var host = context.Request.Host;
        if (!host.HasValue || string.IsNullOrEmpty(host.Host))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var port = generations.Current.Get<ListenersConfig>().HttpsPublicPort ?? listeners.Https?.Port ?? 443;
        var authority = port == 443 ? host.Host : host.Host + ":" + port.ToString(CultureInfo.InvariantCulture);

        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        GatewayAnswer.Set(context, "https-redirect");
        context.Response.Headers.Location = "https://" + authority + RequestTarget(context);
        return Task.CompletedTask;
    }

    /// <summary>The request's path and query, for a redirect that keeps them.</summary>
    public static string RequestTarget(HttpContext context)
    {
        // The raw target keeps the path exactly as the client sent it (encoding included);
        // an absolute-form target ("GET http://host/x") falls back to the decoded path.
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(target) || target[0] != '/'
            ? (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent()
            : target;
    }
}
