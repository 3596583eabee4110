using System.Net.Sockets;

namespace Gateway.Sockets.Epoll;

/// <summary>A socket registered with one <see cref="EpollLoop"/>: edge-triggered, for reading and writing at once.</summary>
internal sealed class EpollSocket : SocketIo
{
    private int _registered = 1;

    public EpollSocket(Socket socket, EpollEngine engine, EpollLoop loop, ulong key)
        : base(socket, engine)
    {
        Loop = loop;
        Key = key;
    }

    public EpollLoop Loop { get; }

    /// <summary>Where the loop keeps it: the low half of <see cref="Key"/>.</summary>
    public int Slot => (int)(uint)Key;

    /// <summary>What the loop's events carry: the slot and a generation, so an event for a slot's earlier socket is ignored.</summary>
    public ulong Key { get; }

    public ReadinessWaiter Readable { get; } = new();

    public ReadinessWaiter Writable { get; } = new();

    public override int ReadVersion => Readable.Version;

    public override int Receive(Span<byte> buffer, SocketFlags flags, out SocketError error) => SocketCalls.Receive(Socket.SafeHandle, buffer, flags, out error);

    public override int Send(ReadOnlySpan<byte> data, out SocketError error) => SocketCalls.Send(Socket.SafeHandle, data, out error);

    public override ValueTask WaitReadableAsync(int seen, CancellationToken cancellation = default) => Readable.WaitAsync(seen, cancellation);

    public override ValueTask<bool> WaitReadableOrClosedAsync(int seen) => Readable.WaitOrAbortAsync(seen);

    public override ValueTask<bool> WaitReadableOrCanceledAsync(int seen, CancellationToken cancellation) => Readable.WaitOrCancelAsync(seen, cancellation);

    /// <summary>Continues on this loop, after the events ready now: a wait for readability that the loop ends itself.</summary>
    public override ValueTask YieldAsync()
    {
        var seen = Readable.Version;
        Loop.Defer(this);
        return Readable.WaitAsync(seen, default);
    }

    /// <summary>Continues on this loop, after the events ready now: a wait for room to send that the loop ends itself.</summary>
    public override ValueTask YieldSendAsync()
    {
        var seen = Writable.Version;
        Loop.Defer(this, write: true);
        return Writable.WaitAsync(seen, default);
    }

    protected override int WriteVersion => Writable.Version;

    /// <summary>Waits for room after a send that did not take everything; the version is taken before each send.</summary>
    protected override async ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, int seen)
    {
        while (true)
        {
            await Writable.WaitAsync(seen, default);
            seen = Writable.Version;
            var sent = Send(rest.Span, out var error);
            if (error == SocketError.WouldBlock)
            {
                continue;
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            rest = rest[sent..];
            if (rest.IsEmpty)
            {
                return;
            }
        }
    }

    /// <summary>The socket's close takes it out of the epoll set; only the slot is freed, for the next one.</summary>
    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _registered, 0) == 1)
        {
            Loop.Remove(this);
            Readable.Abort();
            Writable.Abort();
        }
    }
}
