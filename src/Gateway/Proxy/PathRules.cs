using System.Buffers;
using Gateway.Configuration;
using Gateway.Metrics;

namespace Gateway.Proxy;

/// <summary>
/// Gateway:Proxy:Routes:{id}:PathRules, in YARP's proxy pipeline: paths such as Exchange's /ecp and /PowerShell
/// answered 403 unless the client is in the rule's AllowedNetworks - the control passthrough cannot give.
/// </summary>
internal sealed class PathRules(GatewaySnapshotStore snapshots, GatewayMetrics metrics)
{
    // A path without these (and without "//" or a trailing space) is already in normal form.
    private static readonly SearchValues<char> NeedsWork = SearchValues.Create("\\;.%");

    public Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var request = ProxyRequestPolicy.Of(context, snapshots);
        if (!request.Known)
        {
            return ProxyRequestPolicy.RefuseUnknownAsync(context);
        }

        if (request.Route is not { PathRules.Count: > 0 } policy)
        {
            return next(context);
        }

        var path = Normalize(context.Request.PathBase.Add(context.Request.Path).Value ?? "/");
        foreach (var rule in policy.PathRules)
        {
            if (CoversAny(rule.Paths, path) && !Networks.Contains(rule.AllowedNetworks, context.Connection.RemoteIpAddress))
            {
                metrics.ProxyDenied(context.GetReverseProxyFeature().Route.Config.RouteId, DenyReasons.PathRule);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
        }

        return next(context);
    }

    /// <summary>"/ecp" covers "/ecp", "/ECP/", "/ecp/x" - not "/ecpx".</summary>
    public static bool Covers(string prefix, string path) =>
        prefix == "/"
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    /// <summary>
    /// The path as the servers behind read it, so no spelling slips past a rule: backslashes, repeated slashes and
    /// "%2F" or "%5C" (Kestrel leaves an encoded slash encoded, IIS decodes it) are "/" (IIS), ";parameters" end a
    /// segment and "..;" is ".." (Tomcat, Jetty), trailing dots and spaces of a segment are dropped (Windows), and
    /// "." and ".." segments are resolved.
    /// </summary>
    public static string Normalize(string path)
    {
        if (path.AsSpan().IndexOfAny(NeedsWork) < 0 && !path.Contains("//", StringComparison.Ordinal) && !path.EndsWith(' '))
        {
            return path;
        }

        path = path.Replace('\\', '/');
        if (path.Contains('%', StringComparison.Ordinal))
        {
            path = path.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).Replace("%5C", "/", StringComparison.OrdinalIgnoreCase);
        }

        var segments = new List<string>();
        foreach (var raw in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
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

        return "/" + string.Join('/', segments) + (path.EndsWith('/') && segments.Count > 0 ? "/" : "");
    }

    private static bool CoversAny(IReadOnlyList<string> prefixes, string path)
    {
        foreach (var prefix in prefixes)
        {
            if (Covers(prefix, path))
            {
                return true;
            }
        }

        return false;
    }
}
