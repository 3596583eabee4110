using Gateway.Core;
using Gateway.Metrics;
using Gateway.Proxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Access;

/// <summary>
/// After routing: a path that the servers behind read differently from how it was spelt (<see cref="RequestPath"/>:
/// "/admin%20/x" is "/admin/x" to Windows) must not reach one route under one spelling and another route under the
/// other. YARP matches the spelling; if any reading would be matched by a different route (or by none), the request
/// is refused with 400 instead of going to the route the spelling picked: a host whose "/admin/{**rest}" route has
/// stricter Access than its catch-all would otherwise be reached through the catch-all. A path that reads as itself
/// (nearly all) costs one scan.
/// </summary>
internal sealed class PathSpellingMiddleware(RequestDelegate next, RouteMatcher matcher, GatewayMetrics metrics)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not { } route)
        {
            return next(context);
        }

        var path = context.Request.PathBase.Add(context.Request.Path).Value ?? "/";
        var reading = RequestPath.Read(path);
        for (var i = 0; i < reading.Count; i++)
        {
            if (!string.Equals(reading[i], path, StringComparison.Ordinal))
            {
                return CheckAsync(context, route.Config.RouteId, reading);
            }
        }

        return next(context);
    }

    private async Task CheckAsync(HttpContext context, string routeId, RequestPath reading)
    {
        for (var i = 0; i < reading.Count; i++)
        {
            var other = (await matcher.MatchAsync(context, reading[i]))?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId;
            if (!string.Equals(other, routeId, StringComparison.OrdinalIgnoreCase))
            {
                metrics.ProxyDenied(routeId, DenyReasons.PathSpelling);
                GatewayAnswer.Set(context, DenyReasons.PathSpelling);
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    $"400 Bad Request: the servers behind this gateway read this path as '{reading[i]}', which another route serves. Ask for '{reading[i]}' as it is spelt.\n");
                return;
            }
        }

        await next(context);
    }
}
