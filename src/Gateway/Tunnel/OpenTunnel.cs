using System.Net;

namespace Gateway.Tunnel;

/// <summary>One tunnel open now, as the stats page lists it.</summary>
internal sealed class OpenTunnel(TunnelSession session, string routeId, string? serverName, string destinationId, EndPoint? client, DateTimeOffset openedAt)
{
    public string RouteId { get; } = routeId;

    /// <summary>Null on streams.</summary>
    public string? ServerName { get; } = serverName;

    public string DestinationId { get; } = destinationId;

    public EndPoint? Client { get; } = client;

    public DateTimeOffset OpenedAt { get; } = openedAt;

    public long BytesFromClient => session.BytesFromClient;

    public long BytesFromBackend => session.BytesFromBackend;
}
