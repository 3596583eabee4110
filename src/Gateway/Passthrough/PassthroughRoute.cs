using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <summary>A passthrough route with its cluster resolved: what the router hands to the tunnel.</summary>
internal sealed record PassthroughRoute(string RouteId, PassthroughClusterConfig Cluster, AccessRules Access);
