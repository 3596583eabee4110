using Gateway.Configuration;

namespace Gateway.Sni;

/// <summary>A passthrough route with its cluster resolved: what the router hands to the tunnel.</summary>
internal sealed record PassthroughRoute(string RouteId, PassthroughClusterConfig Cluster, Access.AccessRules Access);
