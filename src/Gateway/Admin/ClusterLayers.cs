namespace Gateway.Admin;

/// <summary>
/// Which of the two cluster namespaces an id is in: <c>Gateway:Passthrough:Clusters</c> (L4) or
/// <c>ReverseProxy:Clusters</c> (L7, YARP's). The runtime API's <c>layer</c> parameter, /stats.json's <c>Layer</c>, and
/// the <c>layer</c> label of L7 destination series.
/// </summary>
internal static class ClusterLayers
{
    public const string Passthrough = "passthrough";

    public const string Proxy = "proxy";
}
