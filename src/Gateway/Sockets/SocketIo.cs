using System.Net.Sockets;

namespace Gateway.Sockets;

/// <summary>
/// Readiness waits for one non-blocking socket. Its owner reads and writes the socket itself with plain calls, the way
/// an event loop does, and waits here only when a call says "would block".
/// </summary>
/// <remarks>
/// A read that returned less than it asked for drained the socket, so waiting right away is safe and saves the read
/// that would only say "would block": pass <see cref="ReadVersion"/> taken just before that read, and the wait ends at
/// once if anything arrived since.
/// </remarks>
internal abstract class SocketIo : IDisposable
{
    /// <summary>The versions a socket starts at: a wait for them ends once anything was reported since it was registered.</summary>
    public const int Registered = 0;

    protected SocketIo(Socket socket, SocketEngine engine)
    {
        Socket = socket;
        Engine = engine;
    }

    public Socket Socket { get; }

    /// <summary>The engine watching this socket; a backend dialled for it goes to the same one.</summary>
    public SocketEngine Engine { get; }

    /// <summary>Changes whenever the socket may have become readable.</summary>
    public abstract int ReadVersion { get; }

    /// <summary>Completes when the socket may be readable (data, end of stream or an error) after <paramref name="seen"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask WaitReadableAsync(int seen, CancellationToken cancellation = default);

    /// <summary>
    /// As <see cref="WaitReadableAsync"/>, but false, not an exception, once the socket stopped being watched, for an owner to
    /// whom that is the ordinary end; a wait pending then resumes on the thread pool. An engine that cannot tell throws as
    /// <see cref="WaitReadableAsync"/> does.
    /// </summary>
    public virtual async ValueTask<bool> WaitReadableOrClosedAsync(int seen)
    {
        await WaitReadableAsync(seen);
        return true;
    }

    /// <summary>
    /// As <see cref="WaitReadableAsync"/>, but false, not an exception, when <paramref name="cancellation"/> fires first or
    /// the socket stopped being watched: for a watch that cancellation ends as a matter of course (every tunnel's dial
    /// watches its client, and every dial that succeeds cancels the watch: an exception per new tunnel). An engine that
    /// cannot tell catches the cancellation's exception, and throws for a closed socket as <see cref="WaitReadableAsync"/> does.
    /// </summary>
    public virtual async ValueTask<bool> WaitReadableOrCanceledAsync(int seen, CancellationToken cancellation)
    {
        try
        {
            await WaitReadableAsync(seen, cancellation);
            return true;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// What a reader takes in full reads in a row before it yields. A bulk transfer whose reads keep coming back full
    /// never has to wait, so it would otherwise hold its thread for as long as it lasts, and every other socket there
    /// (new connections' ClientHellos among them) would wait behind it.
    /// </summary>
    public const int FairShare = 256 * 1024;

    /// <summary>
    /// Lets the other sockets on this one's thread be served, then continues: for a reader whose reads keep coming
    /// back full, which would otherwise never wait.
    /// </summary>
    public virtual async ValueTask YieldAsync() => await Task.Yield();

    /// <summary>
    /// Lets the work in hand on this socket's thread go on before the sender continues, so what it is still writing
    /// goes out in the same send. Where each socket's work has no thread of its own (.NET's engine), it continues at once.
    /// </summary>
    public virtual ValueTask YieldSendAsync() => default;

    /// <summary>Reads what is there, without waiting.</summary>
    /// <returns>The bytes read, 0 at the end of the stream; <paramref name="error"/> says <see cref="SocketError.WouldBlock"/> when nothing is there.</returns>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public abstract int Receive(Span<byte> buffer, SocketFlags flags, out SocketError error);

    /// <summary>Sends what the socket takes now, without waiting.</summary>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public abstract int Send(ReadOnlySpan<byte> data, out SocketError error);

    /// <summary>Sends all of <paramref name="data"/>: what the socket takes at once, then the rest as it drains.</summary>
    /// <exception cref="SocketException">The send failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        var seen = WriteVersion;
        var sent = Send(data.Span, out var error);
        if (error == SocketError.WouldBlock)
        {
            sent = 0;
        }
        else if (error != SocketError.Success)
        {
            return ValueTask.FromException(new SocketException((int)error));
        }

        return sent == data.Length ? default : SendRestAsync(data[sent..], seen);
    }

    /// <summary>Changes whenever the socket may have room to send.</summary>
    protected abstract int WriteVersion { get; }

    /// <summary>Sends what the socket did not take at once, waiting for room.</summary>
    /// <param name="seen">The <see cref="WriteVersion"/> taken before the send that did not take it.</param>
    protected abstract ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, int seen);

    /// <summary>Stops watching a socket its owner is about to close.</summary>
    public abstract void Dispose();

    /// <summary>Stops watching the socket, failing a pending wait, and closes it.</summary>
    public void Close()
    {
        Dispose();
        Socket.Dispose();
    }
}
