using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// <c>Gateway:Proxy</c>: what Gateway adds to YARP's routes and clusters, keyed by their ids. YARP's own section
/// stays YARP's; these settings sit beside it and are validated against it.
/// </summary>
internal sealed record ProxyPoliciesConfig(IReadOnlyDictionary<string, ClusterPolicyConfig> Clusters, IReadOnlyDictionary<string, RoutePolicyConfig> Routes)
{
    public static ProxyPoliciesConfig Empty { get; } = new(new Dictionary<string, ClusterPolicyConfig>(), new Dictionary<string, RoutePolicyConfig>());
}

internal enum ClusterPreset
{
    None,

    /// <summary>Microsoft Exchange: connection-pinned (NTLM), HTTP/1.1, hour-long requests, health on /owa/healthcheck.htm.</summary>
    Exchange,
}

/// <param name="ConnectionPinned">
/// Every client connection gets its own backend connection, used by nothing else and closed with it: what
/// connection-bound authentication (NTLM, Negotiate) needs.
/// </param>
/// <param name="ActivityTimeout">How long a proxied request may go without data either way; null: YARP's (100 s), or 1 h when pinned.</param>
internal sealed record ClusterPolicyConfig(string ClusterId, ClusterPreset Preset, bool ConnectionPinned, TimeSpan? ActivityTimeout, string ConfigPath);

internal sealed record RoutePolicyConfig(string RouteId, IReadOnlyList<PathRuleConfig> PathRules, string ConfigPath);

/// <param name="Paths">Path prefixes, matched case-insensitively on segment boundaries ("/ecp" covers "/ecp/x", not "/ecpx").</param>
/// <param name="AllowedNetworks">Clients allowed on these paths; everyone else gets 403. Empty: the paths are closed to all.</param>
internal sealed record PathRuleConfig(IReadOnlyList<string> Paths, IReadOnlyList<IPNetwork> AllowedNetworks);
