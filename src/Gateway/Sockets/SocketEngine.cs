using System.Net;
using System.Net.Sockets;
using Gateway.Sockets.Epoll;

namespace Gateway.Sockets;

/// <summary>
/// Watches the edge's sockets (clients being routed, tunnels and their backends) for readiness. On Linux it is an epoll
/// loop of the gateway's own, one per core; elsewhere, or when <c>GATEWAY_SOCKET_ENGINE=dotnet</c>, .NET's sockets.
/// </summary>
internal abstract class SocketEngine
{
    private const string Variable = "GATEWAY_SOCKET_ENGINE";

    /// <summary>The process's engine: its loops live as long as the process, like .NET's own socket threads.</summary>
    public static SocketEngine Shared { get; } =
        EpollEngine.IsSupported && Environment.GetEnvironmentVariable(Variable) != "dotnet" ? new EpollEngine(Environment.ProcessorCount) : new DotNetSocketEngine();

    /// <summary>Makes <paramref name="socket"/> non-blocking and watches it.</summary>
    /// <param name="near">A socket whose loop this one joins, so both ends of a tunnel run on one thread.</param>
    public abstract SocketIo Register(Socket socket, SocketIo? near = null);

    /// <summary>Connects <paramref name="socket"/> and watches it.</summary>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, SocketIo? near, CancellationToken cancellation);
}
