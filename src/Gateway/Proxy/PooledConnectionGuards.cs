using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Metrics;

namespace Gateway.Proxy;

/// <summary>Puts a <see cref="PooledConnectionGuard"/> in every pooled backend client, and its stream on every connection.</summary>
internal sealed class PooledConnectionGuards(GenerationStore? generations, GatewayMetrics? metrics, ILogger<PooledConnectionGuard>? logger)
{
    /// <summary>No guard: for tests of the pooling alone.</summary>
    public static PooledConnectionGuards None { get; } = new(null, null, null);

    public HttpMessageHandler Wrap(HttpMessageHandler handler, string clusterId) =>
        generations is null ? handler : new PooledConnectionGuard(handler, clusterId, generations, metrics!, logger!);

    /// <param name="socket">The connection's socket, which <paramref name="connection"/> reads and writes.</param>
    /// <param name="closed">Called once the connection is closed.</param>
    public Stream Wrap(Stream connection, Socket socket, Action? closed = null) =>
        generations is null && closed is null ? connection : new PooledConnectionStream(connection, socket, closed);
}
