using Gateway.Configuration;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Proxy;

namespace Gateway.Access;

/// <summary>
/// Gateway:Proxy:Routes:{id}:PathRules, in YARP's proxy pipeline: paths such as Exchange's /ecp and /PowerShell
/// answered 403 unless the client is in the rule's AllowedNetworks - the control passthrough cannot give.
/// </summary>
internal sealed class PathRules(GenerationStore generations, GatewayMetrics metrics)
{
    public Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var request = ProxyRequestPolicy.Of(context, generations);
        if (!request.Known)
        {
            return ProxyRequestPolicy.RefuseUnknownAsync(context);
        }

        if (request.Route is not { PathRules.Count: > 0 } policy)
        {
            return next(context);
        }

        // A path no reading settles (a smuggled "..", nested encoding) is under every rule: refused to whoever a rule refuses.
        var path = RequestPath.Read(context.Request.PathBase.Add(context.Request.Path).Value ?? "/");
        foreach (var rule in policy.PathRules)
        {
            if ((path.Evasive || path.IsUnder(rule.Paths)) && !Networks.Contains(rule.AllowedNetworks, context.Connection.RemoteIpAddress))
            {
                metrics.ProxyDenied(context.GetReverseProxyFeature().Route.Config.RouteId, DenyReasons.PathRule);
                GatewayAnswer.Set(context, DenyReasons.PathRule);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
        }

        return next(context);
    }
}
