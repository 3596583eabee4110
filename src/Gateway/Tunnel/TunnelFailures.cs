using System.Globalization;
using System.Net;
using Gateway.Configuration;
using Gateway.Diagnostics;

namespace Gateway.Tunnel;

/// <summary>
/// Passthrough connections that got no tunnel, counted per route, cluster, destination and kind and written once an
/// interval: a destination that is down, or a flood against a full cluster, is a few lines, not one per client. The
/// metrics (gateway_connections_total, gateway_destination_connect_failures_total) count every one.
/// </summary>
internal sealed partial class TunnelFailures : IDisposable
{
    private readonly EventTally<Key> _tally;

    public TunnelFailures(TimeProvider time, ILogger<TunnelFailures> logger)
    {
        var seconds = EventTally<Key>.DefaultInterval.TotalSeconds;
        _tally = new(time, EventTally<Key>.DefaultInterval, (key, count, last) =>
        {
            switch (key.Kind)
            {
                case Kind.ConnectFailed:
                    Log.ConnectFailed(logger, count, key.RouteId, key.DestinationId!, key.Address!, key.ClusterId, seconds, last);
                    break;
                case Kind.ClusterFull:
                    Log.ClusterFull(logger, count, key.RouteId, key.ClusterId, seconds, last);
                    break;
                default:
                    Log.NoDestination(logger, count, key.RouteId, key.ClusterId, seconds, last);
                    break;
            }
        });
    }

    private enum Kind
    {
        NoDestination,
        ConnectFailed,
        ClusterFull,
    }

    public void NoDestination(EndPoint? client, string? serverName, string routeId, string clusterId) =>
        _tally.Record(new(Kind.NoDestination, routeId, clusterId, null, null), Describe(client, serverName, null));

    public void ConnectFailed(EndPoint? client, string? serverName, string routeId, string clusterId, string destinationId, HostPort address, string error) =>
        _tally.Record(new(Kind.ConnectFailed, routeId, clusterId, destinationId, address.ToString()), Describe(client, serverName, error));

    public void ClusterFull(EndPoint? client, string? serverName, string routeId, string clusterId) =>
        _tally.Record(new(Kind.ClusterFull, routeId, clusterId, null, null), Describe(client, serverName, null));

    /// <summary>Writes and resets the counts; the timer calls it, a test may too.</summary>
    public void Flush() => _tally.Flush();

    public void Dispose() => _tally.Dispose();

    private static string Describe(EndPoint? client, string? serverName, string? error) =>
        string.Create(CultureInfo.InvariantCulture, $"client {client?.ToString() ?? "-"} SNI {serverName ?? "-"}{(error is null ? "" : ": ")}{error}");

    private readonly record struct Key(Kind Kind, string RouteId, string ClusterId, string? DestinationId, string? Address);

    private static partial class Log
    {
        [LoggerMessage(LogEvents.NoDestination, LogLevel.Information, "{Count} connections on passthrough route {RouteId} found no destination available in cluster {ClusterId} in the last {IntervalSeconds} s, the last: {Last}", EventName = "NoDestination")]
        public static partial void NoDestination(ILogger logger, long count, string routeId, string clusterId, double intervalSeconds, string last);

        [LoggerMessage(LogEvents.ConnectFailed, LogLevel.Information, "{Count} connections on passthrough route {RouteId} could not reach destination {DestinationId} ({Address}) of cluster {ClusterId} in the last {IntervalSeconds} s, the last: {Last}", EventName = "ConnectFailed")]
        public static partial void ConnectFailed(ILogger logger, long count, string routeId, string destinationId, string address, string clusterId, double intervalSeconds, string last);

        [LoggerMessage(LogEvents.ClusterFull, LogLevel.Information, "{Count} connections on passthrough route {RouteId} were refused in the last {IntervalSeconds} s, cluster {ClusterId} being at its MaxConnections, the last: {Last}", EventName = "ClusterFull")]
        public static partial void ClusterFull(ILogger logger, long count, string routeId, string clusterId, double intervalSeconds, string last);
    }
}
