using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// <c>Gateway:Proxy</c>: what Gateway adds to YARP's routes and clusters, keyed by their ids. YARP's own section
/// stays YARP's; these settings sit beside it and are validated against it.
/// </summary>
/// <param name="Redirects">Hosts that answer every request with a redirect, by id.</param>
/// <param name="DefaultSite">What a request for a host no route serves gets.</param>
/// <param name="ErrorPages">HTML served instead of YARP's empty 502/503/504, by status code.</param>
internal sealed record ProxyPoliciesConfig(
    IReadOnlyDictionary<string, ClusterPolicyConfig> Clusters,
    IReadOnlyDictionary<string, RoutePolicyConfig> Routes,
    IReadOnlyDictionary<string, RedirectHostConfig> Redirects,
    DefaultSiteConfig DefaultSite,
    IReadOnlyDictionary<int, string> ErrorPages);

internal enum DefaultSiteAction
{
    /// <summary>A built-in 404 page.</summary>
    NotFound,

    /// <summary>A redirect to <see cref="DefaultSiteConfig.To"/>.</summary>
    Redirect,

    /// <summary>The connection is closed without an answer.</summary>
    Close,
}

internal sealed record DefaultSiteConfig(DefaultSiteAction Action, string? To);

/// <param name="To">Absolute URL; with <paramref name="KeepPath"/> the request's path and query are appended.</param>
/// <param name="Code">301, 302, 307 or 308.</param>
internal sealed record RedirectHostConfig(string RedirectId, IReadOnlyList<HostPattern> Hosts, string To, int Code, bool KeepPath);

/// <param name="MaxAge">Strict-Transport-Security max-age; null: no HSTS header.</param>
internal sealed record HstsConfig(TimeSpan MaxAge, bool IncludeSubDomains, bool Preload)
{
    // Built once, not per response; no code derives an HstsConfig "with" other values, which would keep this one.
    public string HeaderValue { get; } =
        $"max-age={(long)MaxAge.TotalSeconds}{(IncludeSubDomains ? "; includeSubDomains" : "")}{(Preload ? "; preload" : "")}";
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
/// <param name="PerRequestAuthSchemes">
/// Authorization schemes, beyond the built-in per-request ones, that this pooled cluster's backends take per request
/// (an application's own "Token" scheme, say); every other scheme is refused before it reaches a shared connection.
/// </param>
internal sealed record ClusterPolicyConfig(
    string ClusterId,
    ClusterPreset Preset,
    bool ConnectionPinned,
    TimeSpan? ActivityTimeout,
    IReadOnlySet<string> PerRequestAuthSchemes,
    string ConfigPath);

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
    Access.AccessRules Access,
    IReadOnlyDictionary<string, string> Users,
    bool SatisfyAny,
    bool ForceHttps,
    HstsConfig? Hsts,
    bool Http2,
    bool BlockExploits,
    string ConfigPath);

/// <param name="Paths">
/// Path prefixes, matched case-insensitively on segment boundaries ("/ecp" covers "/ecp/x", not "/ecpx") against every
/// <see cref="Access.RequestPath"/> reading of the request path.
/// </param>
/// <param name="AllowedNetworks">Clients allowed on these paths; everyone else gets 403. Empty: the paths are closed to all.</param>
internal sealed record PathRuleConfig(IReadOnlyList<string> Paths, IReadOnlyList<IPNetwork> AllowedNetworks);
