using System.Net;
using Gateway.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// First in YARP's proxy pipeline: when a route answers 502, 503 or 504 with nothing written yet (its cluster is
/// down, every destination unhealthy, a timeout), the visitor gets a page instead of an empty response -
/// Gateway:Proxy:ErrorPages:{code}, or a built-in one.
/// </summary>
internal sealed class ErrorPages(GenerationStore generations)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        var status = context.Response.StatusCode;
        if (status is not (502 or 503 or 504) || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var custom = ProxyRequestPolicy.Of(context, generations).Policies.ErrorPages.GetValueOrDefault(status);
        // A backend's own empty 502 came with its headers (Content-Length: 0, cookies, encodings): none of them fit the page.
        context.Response.Headers.Clear();
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(custom ?? BuiltIn(status, context.Request.Host.Host));
    }

    private static string BuiltIn(int status, string host)
    {
        var (title, text) = status switch
        {
            502 => ("Bad Gateway", "The service behind this address did not answer properly."),
            503 => ("Service Unavailable", "The service behind this address is not available at the moment."),
            _ => ("Gateway Timeout", "The service behind this address took too long to answer."),
        };
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>{{status}} {{title}}</title>
            <style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:15vh auto;padding:0 1rem;color:#222}h1{font-weight:500}p{color:#555}</style>
            </head><body><h1>{{status}} {{title}}</h1><p>{{text}} Please try again in a moment.</p><p><small>{{WebUtility.HtmlEncode(host)}}</small></p></body></html>
            """;
    }
}
