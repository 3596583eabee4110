using Gateway.Configuration;
using Gateway.Core;
using Gateway.Passthrough;

namespace Gateway.Proxy;

/// <summary>
/// A browser may reuse a terminated connection for another host its certificate covers (HTTP/2 connection
/// coalescing), even one that is passthrough here. Such a request must not reach YARP: 421 tells the browser
/// to open a new connection, whose ClientHello the router then sends to the passthrough backend.
/// </summary>
internal sealed class MisdirectedRequestMiddleware(RequestDelegate next, GenerationStore generations)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Request.IsHttps && generations.Current.Get<PassthroughRoutes>().Match(context.Request.Host.Host) is not null)
        {
            context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
            GatewayAnswer.Set(context, "misdirected");
            return Task.CompletedTask;
        }

        return next(context);
    }
}
