using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Metrics;

namespace Gateway.Proxy;

/// <summary>Puts a <see cref="PooledConnectionGuard"/> in every pooled backend client, and its stream on every connection.</summary>
internal sealed class PooledConnectionGuards(GenerationStore? generations, GatewayMetrics? metrics, ILogger<PooledConnectionGuard>? logger)
{
    /// <summary>No guard: for tests of the pooling alone.</summary>
    public static PooledConnectionGuards None { get; } = new(null, null, null);

    /// <param name="pool">The connections of the client <paramref name="handler"/> sends with, as <see cref="Wrap(Stream, Socket, PooledConnectionSet, Action?, bool)"/> adds them.</param>
    public HttpMessageHandler Wrap(HttpMessageHandler handler, string clusterId, PooledConnectionSet pool) =>
        generations is null ? handler : new PooledConnectionGuard(handler, clusterId, pool, generations, metrics!, logger!);

    /// <param name="socket">The connection's socket, which <paramref name="connection"/> reads and writes.</param>
    /// <param name="pool">The client's connections, which this one joins.</param>
    /// <param name="closed">Called once the connection is closed.</param>
    /// <param name="handshaking">TLS is set up over it first (see <see cref="PooledConnectionStream.HandshakeDone"/>).</param>
    public Stream Wrap(Stream connection, Socket socket, PooledConnectionSet pool, Action? closed = null, bool handshaking = false) =>
        generations is null && closed is null ? connection : new PooledConnectionStream(connection, socket, closed, pool, handshaking);
}
