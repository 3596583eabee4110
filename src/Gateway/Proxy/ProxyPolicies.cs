using System.Net;
using Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Proxy;

/// <summary>
/// <c>Gateway:Proxy</c> compiled against one generation's YARP routes and clusters: which clusters are
/// connection-pinned, which hosts must negotiate HTTP/1.1, and each route's path rules.
/// </summary>
internal sealed class ProxyPolicies
{
    /// <summary>Long enough for an ActiveSync ping (up to 59 minutes) and an RPC over HTTP stream.</summary>
    public static readonly TimeSpan PinnedActivityTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The shortest activity timeout a cluster may have, Gateway's or YARP's: under it a backend has no time to answer,
    /// and "0s" would time out every request (504).
    /// </summary>
    public static readonly TimeSpan MinActivityTimeout = TimeSpan.FromSeconds(1);

    private static readonly IReadOnlySet<string> NoSchemes = new HashSet<string>();

    private readonly Dictionary<string, ClusterPolicyConfig> _pinned;
    private readonly IReadOnlyDictionary<string, ClusterPolicyConfig> _clusters;
    private readonly IReadOnlyDictionary<string, RoutePolicyConfig> _routes;
    private readonly HashSet<string> _routeIds;
    private readonly HashSet<string> _clusterIds;
    private readonly HostTable<string> _http11Hosts;
    private readonly HostTable<string> _plainHttpHosts;
    private readonly HostTable<RedirectHostConfig> _redirects;
    private readonly HostTable<string> _knownHosts;
    private readonly bool _routeForAnyHost;
    private readonly bool _plainHttpForAnyHost;

    public ProxyPolicies(ProxyPoliciesConfig config, YarpConfig proxy)
    {
        _pinned = config.Clusters.Values.Where(c => c.ConnectionPinned).ToDictionary(c => c.ClusterId, StringComparer.OrdinalIgnoreCase);
        _clusters = config.Clusters;
        _routes = config.Routes;
        _routeIds = proxy.Routes.Select(r => r.RouteId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _clusterIds = proxy.Clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        DefaultSite = config.DefaultSite;
        ErrorPages = config.ErrorPages;
        var http11 = new List<KeyValuePair<HostPattern, string>>();
        var plain = new List<KeyValuePair<HostPattern, string>>();
        var known = new List<KeyValuePair<HostPattern, string>>();
        foreach (var route in proxy.Routes)
        {
            var policy = _routes.GetValueOrDefault(route.RouteId);
            var http11Only = (route.ClusterId is not null && _pinned.ContainsKey(route.ClusterId)) || policy is { Http2: false };
            _routeForAnyHost |= route.Match.Hosts is not { Count: > 0 };
            _plainHttpForAnyHost |= route.Match.Hosts is not { Count: > 0 } && policy is { ForceHttps: false };
            foreach (var host in route.Match.Hosts ?? [])
            {
                if (!HostPattern.TryParse(HostPattern.WithoutPort(host), out var pattern, out _))
                {
                    continue;
                }

                known.Add(new(pattern, route.RouteId));
                if (http11Only)
                {
                    http11.Add(new(pattern, route.RouteId));
                }

                if (policy is { ForceHttps: false })
                {
                    plain.Add(new(pattern, route.RouteId));
                }
            }
        }

        var redirects = config.Redirects.Values.SelectMany(r => r.Hosts.Select(h => KeyValuePair.Create(h, r))).ToList();
        known.AddRange(redirects.Select(r => KeyValuePair.Create(r.Key, r.Value.RedirectId)));
        _http11Hosts = new HostTable<string>(http11);
        _plainHttpHosts = new HostTable<string>(plain);
        _redirects = new HostTable<RedirectHostConfig>(redirects);
        _knownHosts = new HostTable<string>(known);
    }

    public DefaultSiteConfig DefaultSite { get; }

    public IReadOnlyDictionary<int, string> ErrorPages { get; }

    /// <summary>The Authorization schemes, beyond <see cref="HttpAuthScheme.PerRequest"/>, a pooled cluster's config lets through.</summary>
    public IReadOnlySet<string> PerRequestAuthSchemes(string clusterId) =>
        _clusters.TryGetValue(clusterId, out var cluster) ? cluster.PerRequestAuthSchemes : NoSchemes;

    /// <summary>The pinned cluster's settings; null for an ordinary (pooled) cluster.</summary>
    public ClusterPolicyConfig? Pinned(string clusterId) => _pinned.Count == 0 ? null : _pinned.GetValueOrDefault(clusterId);

    /// <summary>True when <paramref name="serverName"/> must negotiate HTTP/1.1: a host of a connection-pinned cluster or of a route with Http2 off.</summary>
    public bool Http11Only(string? serverName) => _http11Hosts.Match(serverName) is not null;

    /// <summary>True when some route with ForceHttps off may serve <paramref name="host"/>: the HTTP listener routes it and lets the matched route decide.</summary>
    public bool MayServePlainHttp(string? host) => _plainHttpForAnyHost || _plainHttpHosts.Match(host) is not null;

    public RedirectHostConfig? Redirect(string? host) => _redirects.Match(host);

    /// <summary>True when an L7 route or a redirect answers <paramref name="host"/> (every host, when a route matches any host).</summary>
    public bool Knows(string? host) => _routeForAnyHost || _knownHosts.Match(host) is not null;

    /// <summary>The route's settings; null for a route without any (see <see cref="HasRoute"/> for whether it exists).</summary>
    public RoutePolicyConfig? Route(string routeId) => _routes.Count == 0 ? null : _routes.GetValueOrDefault(routeId);

    /// <summary>True when this generation's YARP config has the route, whether or not Gateway:Proxy adds settings to it.</summary>
    public bool HasRoute(string routeId) => _routeIds.Contains(routeId);

    /// <summary>True when this generation's YARP config has the cluster.</summary>
    public bool HasCluster(string clusterId) => _clusterIds.Contains(clusterId);

    /// <summary>
    /// Every id in Gateway:Proxy must name a YARP route or cluster of the same file: one written there, whether or not
    /// YARP could read it (a route in error has its own error, not a second one here).
    /// </summary>
    public static void Check(ProxyPoliciesConfig config, YarpConfig proxy, IConfigurationSection yarpSection, ConfigErrors errors)
    {
        var clusters = ProxyConfigReader.WrittenIds(yarpSection, "Clusters");
        foreach (var cluster in config.Clusters.Values.Where(c => !clusters.Contains(c.ClusterId)))
        {
            errors.Add(cluster.ConfigPath, $"there is no cluster '{cluster.ClusterId}' under {ProxyConfigReader.SectionName}:Clusters");
        }

        var routes = ProxyConfigReader.WrittenIds(yarpSection, "Routes");
        foreach (var route in config.Routes.Values.Where(r => !routes.Contains(r.RouteId)))
        {
            errors.Add(route.ConfigPath, $"there is no route '{route.RouteId}' under {ProxyConfigReader.SectionName}:Routes");
        }

        var routed = proxy.Routes.SelectMany(r => (r.Match.Hosts ?? []).Select(h => (Host: HostPattern.WithoutPort(h).TrimEnd('.').ToLowerInvariant(), r.RouteId)))
            .ToLookup(h => h.Host, h => h.RouteId, StringComparer.Ordinal);
        foreach (var redirect in config.Redirects.Values)
        {
            foreach (var host in redirect.Hosts.Where(h => routed.Contains(h.Value)))
            {
                errors.Add($"Gateway:Proxy:Redirects:{redirect.RedirectId}:Hosts", $"host '{host}' is also served by route '{routed[host.Value].First()}'; a host either redirects or is proxied");
            }
        }
    }

    /// <summary>
    /// What Gateway and a cluster's preset or pinning imply for YARP's own cluster config. HTTP/1.1 to the backend unless
    /// the cluster's <c>HttpRequest:Version</c> says otherwise, as nginx speaks to its upstreams: over HTTP/2 one backend
    /// connection carries several clients' requests at once, and a backend that binds an identity to its connection
    /// (IIS's Persistent-Auth, a completed Negotiate) answers the others as that identity before any answer can be
    /// judged. Pinning: HTTP/1.1 exactly (NTLM binds to one connection) and long request activity. Exchange: its health
    /// probe unless the operator configured one.
    /// </summary>
    public static YarpConfig ApplyPresets(YarpConfig proxy, ProxyPoliciesConfig config)
    {
        var clusters = proxy.Clusters.Select(cluster =>
        {
            if (cluster.HttpRequest?.Version is null)
            {
                cluster = cluster with { HttpRequest = (cluster.HttpRequest ?? new ForwarderRequestConfig()) with { Version = HttpVersion.Version11 } };
            }

            if (!config.Clusters.TryGetValue(cluster.ClusterId, out var policy))
            {
                return cluster;
            }

            var request = cluster.HttpRequest ?? new ForwarderRequestConfig();
            if (policy.ConnectionPinned)
            {
                request = request with { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            }

            if ((policy.ActivityTimeout ?? (policy.ConnectionPinned ? PinnedActivityTimeout : null)) is { } activity)
            {
                request = request with { ActivityTimeout = activity };
            }

            var updated = cluster with { HttpRequest = request };
            if (policy.Preset == ClusterPreset.Exchange && cluster.HealthCheck?.Active is null)
            {
                updated = updated with
                {
                    HealthCheck = (cluster.HealthCheck ?? new HealthCheckConfig()) with
                    {
                        Active = new Yarp.ReverseProxy.Configuration.ActiveHealthCheckConfig
                        {
                            Enabled = true,
                            Interval = TimeSpan.FromSeconds(15),
                            Timeout = TimeSpan.FromSeconds(10),
                            Policy = "ConsecutiveFailures",
                            Path = "/owa/healthcheck.htm",
                        },
                    },
                };
            }

            return updated;
        }).ToList();
        return proxy with { Clusters = clusters };
    }
}
