namespace Gateway.Metrics;

/// <summary>The outcome tag of <c>gateway.proxy.bound_backend_connections</c>.</summary>
internal static class BoundConnections
{
    public const string Closed = "closed";
    public const string NotFound = "not-found";
}
