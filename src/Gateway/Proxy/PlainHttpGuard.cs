using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Proxy;

/// <summary>
/// First in YARP's proxy pipeline: resolves the request's <see cref="ProxyRequestPolicy"/>, then lets a request that
/// came in over plain HTTP through only when the route it matched has ForceHttps off; every other route's requests are
/// redirected to https, even on a host another route serves over plain HTTP.
/// </summary>
internal sealed class PlainHttpGuard(GenerationStore generations, GatewayListeners listeners)
{
    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var policy = ProxyRequestPolicy.Of(context, generations);

        // A route of a generation not published yet goes on to RouteAccess, which answers it 503 (with the error page).
        if (context.Listener() != ListenerKind.Http || !policy.Known || policy.Route is { ForceHttps: false })
        {
            return next(context);
        }

        return HttpsRedirectMiddleware.Redirect(context, generations, listeners);
    }
}
