using Gateway.Configuration;
using Gateway.Hosting;

namespace Gateway.Proxy;

/// <summary>
/// First in YARP's proxy pipeline: a request that came in over plain HTTP is proxied only when the route it matched
/// has ForceHttps off; every other route's requests are redirected to https, even on a host another route serves
/// over plain HTTP.
/// </summary>
internal sealed class PlainHttpGuard(GatewaySnapshotStore snapshots, GatewayListeners listeners)
{
    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.Listener() != ListenerKind.Http
            || snapshots.Current.ProxyPolicies.Route(context.GetReverseProxyFeature().Route.Config.RouteId) is { ForceHttps: false })
        {
            return next();
        }

        return HttpsRedirectMiddleware.Redirect(context, snapshots, listeners);
    }
}
