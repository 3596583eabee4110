using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <param name="Access">Client networks allowed or denied before anything is dialled (a denied client is closed at once).</param>
internal sealed record PassthroughRouteConfig(string RouteId, IReadOnlyList<HostPattern> Hosts, string ClusterId, AccessRules Access);
