using Gateway.Configuration;

namespace Gateway.Proxy;

/// <param name="Access">Client networks allowed or denied (403), in order.</param>
/// <param name="Users">Basic-auth users (name to PBKDF2 hash); empty: no authentication.</param>
/// <param name="SatisfyAny">With both networks and users: true lets either suffice (NPM's "Satisfy Any"), false needs both.</param>
/// <param name="ForceHttps">Redirect this route's hosts from the HTTP listener to https; false serves them over plain HTTP too.</param>
/// <param name="Hsts">Strict-Transport-Security on HTTPS responses; null: none.</param>
/// <param name="Http2">Offer HTTP/2 in the TLS handshake for this route's hosts.</param>
/// <param name="BlockExploits">Refuse (403) requests matching the common exploit rules.</param>
internal sealed record RoutePolicyConfig(
    string RouteId,
    IReadOnlyList<PathRuleConfig> PathRules,
    AccessRules Access,
    IReadOnlyDictionary<string, string> Users,
    bool SatisfyAny,
    bool ForceHttps,
    HstsConfig? Hsts,
    bool Http2,
    bool BlockExploits,
    string ConfigPath);
