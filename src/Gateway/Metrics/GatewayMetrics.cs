using System.Diagnostics.Metrics;

namespace Gateway.Metrics;

/// <summary>Gateway's one Meter. Instrument names live here and nowhere else.</summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    private readonly Counter<long> _connections;
    private readonly UpDownCounter<long> _activeTunnels;
    private readonly Counter<long> _tunnelBytes;
    private readonly Counter<long> _configReloads;
    private readonly Counter<long> _connectFailures;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateCounter<long>("gateway.connections", "{connection}", "Connections accepted on the HTTPS listener, by how the router dealt with them.");
        _activeTunnels = meter.CreateUpDownCounter<long>("gateway.tunnels.active", "{tunnel}", "Passthrough tunnels open now.");
        _tunnelBytes = meter.CreateCounter<long>("gateway.tunnel.bytes", "By", "Bytes copied through passthrough tunnels.");
        _connectFailures = meter.CreateCounter<long>("gateway.destination.connect_failures", "{failure}", "Failed connects to passthrough destinations.");
        _configReloads = meter.CreateCounter<long>("gateway.config.reloads", "{reload}", "Configuration reloads, by outcome.");
    }

    public void ConnectionRouted(string outcome) => _connections.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ConnectFailed(string cluster, string destination) => _connectFailures.Add(1,
        new KeyValuePair<string, object?>("cluster", cluster), new KeyValuePair<string, object?>("destination", destination));

    public void ConfigReloaded(string outcome) => _configReloads.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void TunnelOpened(string route) => _activeTunnels.Add(1, new KeyValuePair<string, object?>("route", route));

    public void TunnelClosed(string route, long bytesFromClient, long bytesFromBackend)
    {
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _activeTunnels.Add(-1, routeTag);
        _tunnelBytes.Add(bytesFromClient, routeTag, new KeyValuePair<string, object?>("direction", "client_to_backend"));
        _tunnelBytes.Add(bytesFromBackend, routeTag, new KeyValuePair<string, object?>("direction", "backend_to_client"));
    }
}

/// <summary>The outcome tag of <c>gateway.connections</c>.</summary>
internal static class ConnectionOutcomes
{
    public const string Tunnelled = "tunnelled";
    public const string Terminated = "terminated";
    public const string HelloTimeout = "hello-timeout";
    public const string NotTls = "not-tls";
    public const string Invalid = "invalid-hello";
    public const string TooLarge = "too-large";
    public const string ClosedEarly = "closed-early";
    public const string NoDestination = "no-destination";
    public const string ConnectFailed = "connect-failed";
    public const string RefusedLimit = "refused-limit";
}

/// <summary>The outcome tag of <c>gateway.config.reloads</c>.</summary>
internal static class ReloadOutcomes
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
}
