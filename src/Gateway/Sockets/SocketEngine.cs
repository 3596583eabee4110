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

    private static readonly Lazy<SocketEngine> Chosen = new(() => Create(Environment.GetEnvironmentVariable(Variable)));

    /// <summary>The process's engine: its loops live as long as the process, like .NET's own socket threads.</summary>
    /// <exception cref="ArgumentException"><c>GATEWAY_SOCKET_ENGINE</c> names no engine this machine has.</exception>
    public static SocketEngine Shared => Chosen.Value;

    /// <param name="choice">The value of <c>GATEWAY_SOCKET_ENGINE</c>: unset for the best one here, <c>epoll</c> or <c>dotnet</c>.</param>
    /// <exception cref="ArgumentException">An unknown value, or <c>epoll</c> where there is none.</exception>
    public static SocketEngine Create(string? choice) => choice switch
    {
        null or "" when EpollEngine.IsSupported => new EpollEngine(Environment.ProcessorCount),
        null or "" or "dotnet" => new DotNetSocketEngine(),
        "epoll" when EpollEngine.IsSupported => new EpollEngine(Environment.ProcessorCount),
        "epoll" => throw new ArgumentException($"{Variable}=epoll needs Linux on x86-64 or arm64; leave it unset to use .NET's sockets here"),
        _ => throw new ArgumentException($"{Variable} is '{choice}': use 'epoll' or 'dotnet', or leave it unset for the best one here"),
    };

    /// <summary>Makes <paramref name="socket"/> non-blocking and watches it.</summary>
    /// <param name="near">A socket whose loop this one joins, so both ends of a tunnel run on one thread.</param>
    public abstract SocketIo Register(Socket socket, SocketIo? near = null);

    /// <summary>Connects <paramref name="socket"/> and watches it.</summary>
    /// <param name="near">A socket whose loop this one joins, so both ends of a tunnel run on one thread.</param>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, SocketIo? near, CancellationToken cancellation);

    /// <summary>Connects <paramref name="socket"/> and watches it on loop number <paramref name="loop"/> (of <see cref="LoopCount"/>).</summary>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, int loop, CancellationToken cancellation);

    /// <summary>How many threads watch the sockets: a client of the backends keeps one connection pool per loop.</summary>
    public virtual int LoopCount => 1;

    /// <summary>The loop whose thread runs the caller, so a request's backend connection is on its thread; on another thread, any.</summary>
    public virtual int CurrentLoop => 0;
}
