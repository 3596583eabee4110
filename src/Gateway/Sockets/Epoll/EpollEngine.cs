using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Sockets.Epoll;

/// <summary>
/// The gateway's own epoll loops. Unlike .NET's socket engine, a wait here does not first try the read it waits for:
/// after a short read the socket is known to be drained, so a tunnelled request costs one read per direction, not two.
/// </summary>
internal sealed class EpollEngine : SocketEngine, IDisposable
{
    private readonly EpollLoop[] _loops;
    private uint _next;

    public EpollEngine(int loops)
    {
        _loops = new EpollLoop[Math.Max(1, loops)];
        for (var i = 0; i < _loops.Length; i++)
        {
            _loops[i] = new EpollLoop(i, ReportFault);
        }
    }

    /// <summary>Linux on the two ABIs whose <c>epoll_event</c> layout is known here.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    public override SocketIo Register(Socket socket, SocketIo? near = null)
    {
        SocketCalls.MakeNonBlocking(socket.SafeHandle);
        return LoopFor(near).Add(socket, this);
    }

    /// <summary>A group per loop.</summary>
    public override int AffinityGroups => _loops.Length;

    /// <summary>Off the loops' threads (the thread pool, timers), spread by thread, so no loop takes all of that work.</summary>
    public override int CurrentAffinityGroup => EpollLoop.Current is { } loop && loop.Index < _loops.Length && _loops[loop.Index] == loop
        ? loop.Index
        : Environment.CurrentManagedThreadId % _loops.Length;

    public override ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, SocketIo? near, CancellationToken cancellation) =>
        ConnectAsync(socket, endpoint, LoopFor(near), cancellation);

    public override ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, int group, CancellationToken cancellation) =>
        ConnectAsync(socket, endpoint, _loops[(uint)group % (uint)_loops.Length], cancellation);

    private async ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, EpollLoop loop, CancellationToken cancellation)
    {
        SocketCalls.MakeNonBlocking(socket.SafeHandle);
        var started = SocketCalls.StartConnect(socket.SafeHandle, endpoint);
        if (started is not (SocketError.Success or SocketError.InProgress))
        {
            throw new SocketException((int)started);
        }

        // Registered only now: while the handshake is in flight the socket reports nothing, so the first event is its
        // outcome (a socket registered before connect() would report itself writable at once).
        var io = loop.Add(socket, this);
        try
        {
            if (started == SocketError.InProgress)
            {
                await io.Writable.WaitAsync(SocketIo.Registered, cancellation);
                var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }
            }

            return io;
        }
        catch
        {
            io.Dispose();
            throw;
        }
    }

    private EpollLoop LoopFor(SocketIo? near) =>
        near is EpollSocket { Loop: var loop } ? loop : _loops[Interlocked.Increment(ref _next) % (uint)_loops.Length];

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }
}
