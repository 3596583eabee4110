using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>The validated YARP routes and clusters of one generation.</summary>
internal sealed record YarpConfig(IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters)
{
    public static YarpConfig Empty { get; } = new([], []);
}
