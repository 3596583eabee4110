using Gateway.Certificates;
using Gateway.Passthrough;
using Gateway.Proxy;

namespace Gateway.Configuration;

/// <summary>
/// A config generation compiled for the hot path: the passthrough host table, the certificates, and the
/// YARP routes and clusters that the L7 side is fed from the same generation.
/// Built completely before it is published, so a connection sees one generation or the next, never a mix.
/// </summary>
internal sealed class GatewaySnapshot
{
    private readonly HostTable<string> _acmeHosts;

    public GatewaySnapshot(int generation, GatewayConfig config, CertificateSet certificates, ProxyConfigSnapshot proxy)
    {
        Generation = generation;
        Config = config;
        Certificates = certificates;
        Proxy = proxy;
        ProxyPolicies = new ProxyPolicies(config.Proxy, proxy);
        Passthrough = new HostTable<PassthroughRoute>(config.Passthrough.Routes.Values.SelectMany(route =>
        {
            var compiled = new PassthroughRoute(route.RouteId, config.Passthrough.Clusters[route.ClusterId], route.Access);
            return route.Hosts.Select(host => KeyValuePair.Create(host, compiled));
        }));
        _acmeHosts = new HostTable<string>(config.Acme.Hosts.Select(host => KeyValuePair.Create(host, host.Value)));
    }

    public int Generation { get; }

    public GatewayConfig Config { get; }

    public HostTable<PassthroughRoute> Passthrough { get; }

    public CertificateSet Certificates { get; }

    public ProxyConfigSnapshot Proxy { get; }

    public ProxyPolicies ProxyPolicies { get; }

    /// <summary>True when something terminated here answers <paramref name="serverName"/>: an L7 route or redirect, a configured certificate, an ACME host.</summary>
    public bool ServesHost(string? serverName) =>
        serverName is not null
        && (ProxyPolicies.Knows(serverName) || Certificates.Match(serverName) is not null
            || _acmeHosts.Match(serverName) is not null);
}
