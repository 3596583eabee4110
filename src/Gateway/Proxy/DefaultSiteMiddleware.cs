using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Proxy;

/// <summary>
/// After routing, for a request no route matched (an unknown host, or a path no route of the host covers):
/// Gateway:Proxy:DefaultSite decides - a built-in 404 page, a redirect, or closing the connection.
/// </summary>
internal sealed class DefaultSiteMiddleware(RequestDelegate next, GenerationStore generations, GatewayListeners listeners)
{
    private const string NotFoundPage = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>404 Not Found</title>
        <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-weight:500}</style>
        </head><body><h1>404 Not Found</h1><p>Nothing is served at this address.</p></body></html>
        """;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is not null || context.Listener() is not (ListenerKind.Https or ListenerKind.Http))
        {
            return next(context);
        }

        if (context.Listener() == ListenerKind.Http)
        {
            return HttpsRedirectMiddleware.Redirect(context, generations, listeners); // plain HTTP is only for routes that ask for it
        }

        var site = generations.Current.Get<ProxyPolicies>().DefaultSite;
        GatewayAnswer.Set(context, "default-site");
        switch (site.Action)
        {
            case DefaultSiteAction.Redirect:
                context.Response.StatusCode = StatusCodes.Status302Found;
                context.Response.Headers.Location = site.To;
                return Task.CompletedTask;
            case DefaultSiteAction.Close:
                context.Abort();
                return Task.CompletedTask;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/html; charset=utf-8";
                return context.Response.WriteAsync(NotFoundPage);
        }
    }
}
