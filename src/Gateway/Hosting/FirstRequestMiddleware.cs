using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Hosting;

/// <summary>
/// First in the HTTP pipeline: a request head has arrived, so the connection's <see cref="FirstRequestDeadline"/>
/// stops and Kestrel's own timeouts take over.
/// </summary>
internal sealed class FirstRequestMiddleware
{
    private readonly RequestDelegate _next;

    public FirstRequestMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items is { } items)
        {
            FirstRequestDeadline.Stop(items);
        }

        return _next(context);
    }
}
