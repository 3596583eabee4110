using System.Diagnostics;
using System.Diagnostics.Metrics;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Gateway.Admin;

/// <summary>Gauges read from runtime state at scrape time: destination health, load and state (both layers), affinity table sizes, certificate expiry.</summary>
internal sealed class StateGauges
{
    public StateGauges(GatewayMetrics metrics, PassthroughClusters clusters, IProxyStateLookup proxy, ProxyDestinationStates proxyStates, PinnedForwarder pinned,
        GenerationStore generations, ManagedCertificates managed, TimeProvider time)
    {
        // L7 series carry layer="proxy": a YARP cluster may share its id with a passthrough one, whose series stay as they were.
        metrics.Meter.CreateObservableGauge("gateway.destination.health", () => clusters.All.SelectMany(c => c.Destinations.Select(d =>
            new Measurement<int>(d.Health.Status == HealthStatus.Unhealthy ? 0 : 1, new("cluster", c.ClusterId), new("destination", d.DestinationId))))
            .Concat(L7(proxy).Select(d => new Measurement<int>(L7Health(d.Destination) == "down" ? 0 : 1, L7Tags(d)))),
            "1", "1 when a destination takes traffic as far as health goes (up or not checked), 0 when down (YARP's active or passive check, for layer=\"proxy\").");
        metrics.Meter.CreateObservableGauge("gateway.destination.active", () => clusters.All.SelectMany(c => c.Destinations.Select(d =>
            new Measurement<int>(d.ActiveConnections, new("cluster", c.ClusterId), new("destination", d.DestinationId))))
            .Concat(L7(proxy).Select(d => new Measurement<int>(L7InFlight(d.Destination, pinned), L7Tags(d)))),
            "{tunnel}", "Tunnels open to each passthrough destination; requests in flight to each L7 destination (layer=\"proxy\").");

        // As HAProxy's exporter gives haproxy_server_status: one series per state, 1 for the one in force.
        metrics.Meter.CreateObservableGauge("gateway.destination.state", () => clusters.All.SelectMany(c => c.Destinations.SelectMany(d =>
            States.Select(s => new Measurement<int>(d.EffectiveState == s ? 1 : 0, new("cluster", c.ClusterId), new("destination", d.DestinationId), new("state", s.ToString())))))
            .Concat(L7(proxy).SelectMany(d => States.Select(s => new Measurement<int>(proxyStates.Get(d.Cluster.ClusterId, d.Destination.DestinationId) == s ? 1 : 0,
                new("cluster", d.Cluster.ClusterId), new("destination", d.Destination.DestinationId), new("layer", ClusterLayers.Proxy), new("state", s.ToString()))))),
            "{state}", "1 for the admin state in force (Active, Drain, Disabled) of each destination, 0 for the others.");
        metrics.Meter.CreateObservableGauge("gateway.affinity.entries", () => clusters.All.Where(c => c.Config.SessionAffinity is not null).Select(c =>
            new Measurement<int>(c.Affinity.Count, new KeyValuePair<string, object?>("cluster", c.ClusterId))),
            "{entry}", "Entries in each cluster's source-IP affinity table.");
        metrics.Meter.CreateObservableGauge("gateway.certificate.expiry", () => Served(generations, managed)
            .Select(c => new Measurement<double>((c.NotAfter - time.GetUtcNow()).TotalSeconds, new("host", c.Host), new("source", c.Source))),
            "s", "Seconds until each served certificate expires, by its first host and source (file, acme, fallback; host '*' is the self-signed fallback).");

        // node_exporter's ssl and blackbox exporters' probe_ssl_earliest_cert_expiry are timestamps: an alert written
        // for them ("expiry - time() < 14 * 86400") reads the same here.
        metrics.Meter.CreateObservableGauge("gateway.certificate.expiry_timestamp", () => Served(generations, managed)
            .Select(c => new Measurement<double>(c.NotAfter.ToUnixTimeSeconds(), new("host", c.Host), new("source", c.Source))),
            "s", "When each served certificate expires, in seconds since the Unix epoch, by its first host and source (as gateway_certificate_expiry_seconds).");
        metrics.Meter.CreateObservableGauge("gateway.config.generation", () => generations.Current.Number,
            "{generation}", "The configuration generation serving now.");
    }

    private static readonly DestinationAdminState[] States = Enum.GetValues<DestinationAdminState>();

    /// <summary>YARP's destinations, as it serves them now.</summary>
    public static IEnumerable<(ClusterState Cluster, DestinationState Destination)> L7(IProxyStateLookup proxy) =>
        proxy.GetClusters().SelectMany(c => c.Destinations.Values.Select(d => (c, d)));

    /// <summary>"down" when an active or passive check says so, "up" when one says so, "unchecked" before either has.</summary>
    public static string L7Health(DestinationState destination) => (destination.Health.Active, destination.Health.Passive) switch
    {
        (DestinationHealth.Unhealthy, _) or (_, DestinationHealth.Unhealthy) => "down",
        (DestinationHealth.Healthy, _) or (_, DestinationHealth.Healthy) => "up",
        _ => "unchecked",
    };

    /// <summary>YARP's count, and the forwarder's own for connection-pinned clusters, which YARP does not count.</summary>
    public static int L7InFlight(DestinationState destination, PinnedForwarder pinned) => destination.ConcurrentRequestCount + pinned.InFlight(destination);

    private static TagList L7Tags((ClusterState Cluster, DestinationState Destination) d) =>
        new([new("cluster", d.Cluster.ClusterId), new("destination", d.Destination.DestinationId), new("layer", ClusterLayers.Proxy)]);

    private static IEnumerable<(string Host, DateTimeOffset NotAfter, string Source)> Served(GenerationStore generations, ManagedCertificates managed) =>
        generations.Current.Get<CertificateSet>().Certificates
            .Select(c => (c.Host, c.NotAfter, Source: c.Host == "*" ? "fallback" : "file"))
            .Concat(managed.All.Select(c => (Host: c.Hosts.Order(StringComparer.Ordinal).FirstOrDefault() ?? "", c.NotAfter, Source: "acme")));
}
