using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Proxy;

/// <summary>
/// Gateway:Proxy:Redirects: hosts that answer every request, on either listener, with a redirect to another
/// URL (Nginx Proxy Manager's "redirection hosts"), in one hop.
/// </summary>
internal sealed class RedirectHostsMiddleware(RequestDelegate next, GenerationStore generations)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Listener() is not (ListenerKind.Https or ListenerKind.Http)
            || generations.Current.Get<ProxyPolicies>().Redirect(context.Request.Host.Host) is not { } redirect)
        {
            return next(context);
        }

        var location = redirect.KeepPath ? redirect.To + HttpsRedirectMiddleware.RequestTarget(context) : redirect.To;

        context.Response.StatusCode = redirect.Code;
        GatewayAnswer.Set(context, "redirect");
        context.Response.Headers.Location = location.Length == 0 ? "/" : location;
        context.Response.Headers.CacheControl = redirect.Code is 301 or 308 ? null : "no-store";
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }
}
