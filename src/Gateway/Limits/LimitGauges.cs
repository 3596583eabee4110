using System.Diagnostics.Metrics;
using Gateway.Metrics;

namespace Gateway.Limits;

/// <summary>The descriptor budget and the connection limit, read at scrape time.</summary>
internal sealed class LimitGauges
{
    public LimitGauges(GatewayMetrics metrics, DescriptorBudget descriptors, ConnectionLimiter limiter)
    {
        metrics.Meter.CreateObservableGauge<long>("gateway.process.descriptors.limit", () => descriptors.Limit is { } limit ? [new Measurement<long>(limit)] : [],
            "{descriptor}", "The process's open-files limit (RLIMIT_NOFILE, raised to the hard limit at start).");
        metrics.Meter.CreateObservableGauge<int>("gateway.process.descriptors.open", () => OpenFilesLimit.CountOpen() is { } open ? [new Measurement<int>(open)] : [],
            "{descriptor}", "Descriptors the process holds now (absent when none is left to count them with).");
        metrics.Meter.CreateObservableGauge("gateway.connections.limit", () => limiter.MaxConnections,
            "{connection}", "Connections the public listeners hold at once: the open-files limit derives it, and Gateway:Limits:MaxConnections may set it lower.");
        metrics.Meter.CreateObservableGauge("gateway.connections.open", () => limiter.Open,
            "{connection}", "Connections open now on the public listeners, tunnels and terminated ones, as counted against the limit.");
    }
}
