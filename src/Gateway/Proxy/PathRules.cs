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

    /// <summary>
    /// The path as the servers behind read it, so no spelling slips past a rule: backslashes and repeated slashes
    /// are "/" (IIS), ";parameters" end a segment and "..;" is ".." (Tomcat, Jetty), trailing dots and spaces of a
    /// segment are dropped (Windows), and "." and ".." segments are resolved.
    /// </summary>
    public static string Normalize(string path)
    {
        if (path.AsSpan().IndexOfAny('\\', ';', '.') < 0 && !path.Contains("//", StringComparison.Ordinal) && !path.EndsWith(' '))
        {
            return path;
        }

        var segments = new List<string>();
        foreach (var raw in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Split(';')[0];
            if (segment is not ("." or ".."))
            {
                segment = segment.TrimEnd('.', ' ');
            }

            switch (segment)
            {
                case "" or ".":
                    break;
                case "..":
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    break;
                default:
                    segments.Add(segment);
                    break;
            }
        }

        var trailing = path.EndsWith('/') || path.EndsWith('\\');
        return "/" + string.Join('/', segments) + (trailing && segments.Count > 0 ? "/" : "");
    }
}
