using System.Diagnostics.Metrics;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Passthrough.Balancing;

namespace Gateway.Admin;

/// <summary>Gauges read from runtime state at scrape time: destination health, affinity table sizes, certificate expiry.</summary>
internal sealed class StateGauges
{
    public StateGauges(GatewayMetrics metrics, PassthroughClusters clusters, GenerationStore generations, ManagedCertificates managed, TimeProvider time)
    {
        metrics.Meter.CreateObservableGauge("gateway.destination.health", () => clusters.All.SelectMany(c => c.Destinations.Select(d =>
            new Measurement<int>(d.Health.Status == HealthStatus.Unhealthy ? 0 : 1, new("cluster", c.ClusterId), new("destination", d.DestinationId)))),
            "1", "1 when a passthrough destination takes connections as far as health goes (up or not checked), 0 when down.");
        metrics.Meter.CreateObservableGauge("gateway.destination.active", () => clusters.All.SelectMany(c => c.Destinations.Select(d =>
            new Measurement<int>(d.ActiveConnections, new("cluster", c.ClusterId), new("destination", d.DestinationId)))),
            "{tunnel}", "Tunnels open to each passthrough destination.");
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

    private static IEnumerable<(string Host, DateTimeOffset NotAfter, string Source)> Served(GenerationStore generations, ManagedCertificates managed) =>
        generations.Current.Get<CertificateSet>().Certificates
            .Select(c => (c.Host, c.NotAfter, Source: c.Host == "*" ? "fallback" : "file"))
            .Concat(managed.All.Select(c => (Host: c.Hosts.Order(StringComparer.Ordinal).FirstOrDefault() ?? "", c.NotAfter, Source: "acme")));
}
