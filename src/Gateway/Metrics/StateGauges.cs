using System.Diagnostics.Metrics;
using Gateway.Balancing;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Health;
using Gateway.Limits;

namespace Gateway.Metrics;

/// <summary>Gauges read from runtime state at scrape time: destination health, affinity table sizes, certificate expiry, descriptors.</summary>
internal sealed class StateGauges
{
    public StateGauges(GatewayMetrics metrics, ClusterStateStore clusters, GatewaySnapshotStore snapshots, ManagedCertificates managed, TimeProvider time,
        DescriptorBudget descriptors, ConnectionLimiter limiter)
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
        metrics.Meter.CreateObservableGauge("gateway.certificate.expiry", () => snapshots.Current.Certificates.Certificates
            .Select(c => (c.Host, c.NotAfter, Source: c.Host == "*" ? "fallback" : "file"))
            .Concat(managed.All.Select(c => (Host: c.Hosts.Order(StringComparer.Ordinal).FirstOrDefault() ?? "", c.NotAfter, Source: "acme")))
            .Select(c => new Measurement<double>((c.NotAfter - time.GetUtcNow()).TotalSeconds, new("host", c.Host), new("source", c.Source))),
            "s", "Seconds until each served certificate expires, by its first host and source (file, acme, fallback; host '*' is the self-signed fallback).");
        metrics.Meter.CreateObservableGauge<long>("gateway.process.descriptors.limit", () => descriptors.Limit is { } limit ? [new Measurement<long>(limit)] : [],
            "{descriptor}", "The process's open-files limit (RLIMIT_NOFILE, raised to the hard limit at start).");
        metrics.Meter.CreateObservableGauge<int>("gateway.process.descriptors.open", () => OpenFilesLimit.CountOpen() is { } open ? [new Measurement<int>(open)] : [],
            "{descriptor}", "Descriptors the process holds now (absent when none is left to count them with).");
        metrics.Meter.CreateObservableGauge("gateway.connections.limit", () => limiter.MaxConnections,
            "{connection}", "Connections the public listeners hold at once: Gateway:Limits:MaxConnections, else derived from the open-files limit.");
        metrics.Meter.CreateObservableGauge("gateway.connections.open", () => limiter.Open,
            "{connection}", "Connections open now on the public listeners, tunnels and terminated ones, as counted against the limit.");
        metrics.Meter.CreateObservableGauge("gateway.config.generation", () => snapshots.Current.Generation,
            "{generation}", "The configuration generation serving now.");
    }
}
