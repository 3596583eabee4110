using System.Net;
using System.Net.Sockets;
using Gateway.Sockets;
using Gateway.Sockets.Epoll;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// What the tests of the edge's sockets share: a listener on 127.0.0.1, an epoll engine of two loops, and connected
/// pairs whose one end an engine watches.
/// </summary>
internal sealed class LoopbackSockets : IDisposable
{
    public LoopbackSockets()
    {
        Listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Listener.Listen();
    }

    /// <summary>The engines a contract holds for: the gateway's epoll loop and .NET's sockets.</summary>
    public static TheoryData<string> Engines => new() { "epoll", "dotnet" };

    public EpollEngine Epoll { get; } = new(2);

    public Socket Listener { get; } = NewSocket();

    public SocketEngine Engine(string name) => name == "epoll" ? Epoll : new DotNetSocketEngine();

    public static Socket NewSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    /// <summary>A connection accepted here and watched by <paramref name="engine"/>, and the client end.</summary>
    public async Task<(SocketIo Io, Socket Peer)> AcceptedAsync(SocketEngine engine)
    {
        var peer = NewSocket();
        await peer.ConnectAsync(Listener.LocalEndPoint!);
        var accepted = await Listener.AcceptAsync();
        return (engine.Register(accepted), peer);
    }

    /// <summary>A connection dialled through <paramref name="engine"/> (on loop <paramref name="loop"/>), and the accepted end.</summary>
    public async Task<(SocketIo Io, Socket Peer)> DialledAsync(SocketEngine engine, int loop = 0)
    {
        var accepting = Listener.AcceptAsync();
        var io = await engine.ConnectAsync(NewSocket(), Listener.LocalEndPoint!, loop, CancellationToken.None);
        return (io, await accepting);
    }

    /// <summary>
    /// Hangs a continuation on <paramref name="wait"/> that throws out of it, as no await in the gateway should; on an epoll
    /// engine it runs inline on the loop's thread.
    /// </summary>
    public static void ThrowWhenDone(ValueTask wait, Exception bug) =>
        wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => throw bug);

    public void Dispose()
    {
        Epoll.Dispose();
        Listener.Dispose();
    }
}
