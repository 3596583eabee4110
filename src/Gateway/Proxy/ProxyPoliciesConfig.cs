
namespace Gateway.Proxy;

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
