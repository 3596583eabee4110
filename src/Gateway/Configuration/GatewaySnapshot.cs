using Gateway.Certificates;
using Gateway.Sni;

namespace Gateway.Configuration;

/// <summary>
/// A config generation compiled for the hot path: the passthrough host table and the certificates.
/// Built completely before it is published, so a connection sees one generation or the next, never a mix.
/// </summary>
internal sealed class GatewaySnapshot
{
    public GatewaySnapshot(int generation, GatewayConfig config, CertificateSet certificates)
    {
        Generation = generation;
        Config = config;
        Certificates = certificates;
        Passthrough = new HostTable<PassthroughRoute>(config.Passthrough.Routes.Values.SelectMany(route =>
        {
            var compiled = new PassthroughRoute(route.RouteId, config.Passthrough.Clusters[route.ClusterId]);
            return route.Hosts.Select(host => KeyValuePair.Create(host, compiled));
        }));
    }

    public int Generation { get; }

    public GatewayConfig Config { get; }

    public HostTable<PassthroughRoute> Passthrough { get; }

    public CertificateSet Certificates { get; }
}
