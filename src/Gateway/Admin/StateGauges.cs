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
        metrics.Meter.CreateObservableGauge("gateway.certificate.expiry", () => generations.Current.Get<CertificateSet>().Certificates
            .Select(c => (c.Host, c.NotAfter, Source: c.Host == "*" ? "fallback" : "file"))
            .Concat(managed.All.Select(c => (Host: c.Hosts.Order(StringComparer.Ordinal).FirstOrDefault() ?? "", c.NotAfter, Source: "acme")))
            .Select(c => new Measurement<double>((c.NotAfter - time.GetUtcNow()).TotalSeconds, new("host", c.Host), new("source", c.Source))),
            "s", "Seconds until each served certificate expires, by its first host and source (file, acme, fallback; host '*' is the self-signed fallback).");
        metrics.Meter.CreateObservableGauge("gateway.config.generation", () => generations.Current.Number,
            "{generation}", "The configuration generation serving now.");
    }
}
