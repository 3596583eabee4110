namespace Gateway.Metrics;

/// <summary>
/// Which of the two cluster namespaces an id is in: <c>Gateway:Passthrough:Clusters</c> (L4) or
/// <c>ReverseProxy:Clusters</c> (L7, YARP's). The runtime API's <c>layer</c> parameter, /stats.json's <c>Layer</c>, the
/// <c>layer</c> label of L7 destination series and of <c>gateway.backend_connections.refused</c>.
/// </summary>
internal static class ClusterLayers
{
    public const string Passthrough = "passthrough";

    public const string Proxy = "proxy";

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [Passthrough, Proxy];
}
