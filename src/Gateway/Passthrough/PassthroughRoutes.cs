using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <summary>A generation's passthrough hosts, compiled for the router: exact names, then the longest wildcard suffix.</summary>
internal sealed class PassthroughRoutes(PassthroughConfig config)
{
    private readonly HostTable<PassthroughRoute> _hosts = new(config.Routes.Values.Where(route => config.Clusters.ContainsKey(route.ClusterId)).SelectMany(route =>
    {
        var compiled = new PassthroughRoute(route.RouteId, config.Clusters[route.ClusterId], route.Access);
        return route.Hosts.Select(host => KeyValuePair.Create(host, compiled));
    }));

    /// <summary>The route whose hosts take <paramref name="serverName"/>, or null.</summary>
    public PassthroughRoute? Match(string? serverName) => _hosts.Match(serverName);
}
