using Gateway.Configuration;
using Gateway.Metrics;

namespace Gateway.Proxy;

/// <summary>
/// Gateway:Proxy:Routes:{id}:PathRules, in YARP's proxy pipeline: paths such as Exchange's /ecp and /PowerShell
/// answered 403 unless the client is in the rule's AllowedNetworks - the control passthrough cannot give.
/// </summary>
internal sealed class PathRules(GatewaySnapshotStore snapshots, GatewayMetrics metrics)
{
    public Task CheckAsync(HttpContext context, Func<Task> next)
    {
        var routeId = context.GetReverseProxyFeature().Route.Config.RouteId;
        if (snapshots.Current.ProxyPolicies.Route(routeId) is not { } policy)
        {
            return next();
        }

        var path = Normalize(context.Request.PathBase.Add(context.Request.Path).Value ?? "/");
        foreach (var rule in policy.PathRules)
        {
            if (rule.Paths.Any(prefix => Covers(prefix, path)) && !Networks.Contains(rule.AllowedNetworks, context.Connection.RemoteIpAddress))
            {
                metrics.ProxyDenied(routeId, DenyReasons.PathRule);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
        }

        return next();
    }

    /// <summary>"/ecp" covers "/ecp", "/ECP/", "/ecp/x" - not "/ecpx".</summary>
    public static bool Covers(string prefix, string path) =>
        prefix == "/"
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    /// <summary>Backslashes and repeated slashes mean "/" to IIS: "//ecp" or "\ecp" must not slip past a rule for "/ecp".</summary>
    public static string Normalize(string path)
    {
        if (!path.Contains('\\', StringComparison.Ordinal) && !path.Contains("//", StringComparison.Ordinal))
        {
            return path;
        }

        var normalized = path.Replace('\\', '/');
        while (normalized.Contains("//", StringComparison.Ordinal))
        {
            normalized = normalized.Replace("//", "/", StringComparison.Ordinal);
        }

        return normalized;
    }
}
