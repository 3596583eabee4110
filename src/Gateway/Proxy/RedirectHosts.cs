using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>
/// Gateway:Proxy:Redirects: hosts that answer every request, on either listener, with a redirect to another
/// URL (Nginx Proxy Manager's "redirection hosts"), in one hop.
/// </summary>
internal sealed class RedirectHosts(RequestDelegate next, GatewaySnapshotStore snapshots)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Listener() is not (ListenerKind.Https or ListenerKind.Http)
            || snapshots.Current.ProxyPolicies.Redirect(context.Request.Host.Host) is not { } redirect)
        {
            return next(context);
        }

        var location = redirect.To;
        if (redirect.KeepPath)
        {
            var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
            location += string.IsNullOrEmpty(target) || target[0] != '/'
                ? (context.Request.PathBase + context.Request.Path).ToUriComponent() + context.Request.QueryString.ToUriComponent()
                : target;
        }

        context.Response.StatusCode = redirect.Code;
        context.Response.Headers.Location = location.Length == 0 ? "/" : location;
        context.Response.Headers.CacheControl = redirect.Code is 301 or 308 ? null : "no-store";
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
