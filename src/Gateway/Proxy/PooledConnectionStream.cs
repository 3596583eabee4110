using System.Net.Sockets;

namespace Gateway.Proxy;

/// <summary>
/// A pooled backend connection that can be closed for good when an answer shows the backend bound an identity to
/// it, and that sends no request of another exchange before the last one was judged. HTTP/1.1 puts the next request
/// on a connection only after the last answer was read, and an answer without a body hands the connection back to
/// the pool before the client's caller sees it: without the wait, another client's request could go out on the
/// connection between the answer and its verdict. A client that takes the connection from the pool in that moment is
/// turned away before it writes (see <see cref="TakenBeforeTheVerdict"/>); the wait covers a connection handed straight
/// to a request queued for one, which the client does without that read.
/// </summary>
internal sealed class PooledConnectionStream : Stream
{
    /// <summary>An answer is judged as soon as its headers are in; this bound only matters if something went wrong.</summary>
    private static readonly TimeSpan JudgementLimit = TimeSpan.FromSeconds(30);

    private readonly Stream _inner;
    private readonly Socket _socket;
    private readonly Action? _closed;
    private readonly PooledConnectionSet? _pool;
    private BackendExchange? _last;
    private volatile bool _aborted;
    private volatile bool _handshaking;
    private int _disposed;

    /// <param name="closed">Called once the connection is closed: gives its descriptor back to the <see cref="Core.SocketBudget"/>.</param>
    /// <param name="pool">The pool's connections, which this one joins until it is closed.</param>
    /// <param name="handshaking">
    /// TLS will be set up over this stream before any request: its writes belong to no exchange until
    /// <see cref="HandshakeDone"/>. The client sets up a connection in the flow of the request that asked for it, which
    /// it may then serve on another connection: taken for that request's, the ClientHello made the next request on this
    /// connection wait for the verdict on a request it never carried (up to 30 s).
    /// </param>
    public PooledConnectionStream(Stream inner, Socket socket, Action? closed = null, PooledConnectionSet? pool = null, bool handshaking = false)
    {
        _inner = inner;
        _socket = socket;
        _closed = closed;
        _pool = pool;
        _handshaking = handshaking;
        pool?.Add(this);
    }

    /// <summary>TLS is set up: from now on each write is a request's.</summary>
    public void HandshakeDone() => _handshaking = false;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Closes the connection. Nothing more travels on it: later writes go nowhere and reads, the one in flight
    /// included, find the end. That is what the client sees when a server closes an idle connection, so a request that
    /// took it from the pool meanwhile is sent again on another connection instead of failing: the client takes a
    /// pooled connection by starting a read on it, and retries only if that read ends cleanly. So the socket is shut
    /// down, which ends a waiting read, rather than closed, which would fail it; the client closes it once it sees the
    /// end.
    /// </summary>
    public void Abort()
    {
        _aborted = true;
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by either side: nothing travels on it either.
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_aborted || TakenBeforeTheVerdict())
        {
            return ValueTask.FromResult(0);
        }

        return _inner.ReadAsync(buffer, cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var exchange = BackendExchange.Current.Value;
        if (exchange is not null && !ReferenceEquals(exchange, _last) && !_handshaking)
        {
            return ClaimThenWriteAsync(exchange, buffer, cancellationToken);
        }

        return _aborted ? ValueTask.CompletedTask : _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _aborted ? Task.CompletedTask : _inner.FlushAsync(cancellationToken);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Only asynchronous reads.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Only asynchronous writes.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try
            {
                _inner.Dispose();
            }
            finally
            {
                _pool?.Remove(this);
                _closed?.Invoke();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// True when another exchange starts reading before the last answer was judged: the client taking this connection
    /// from the pool, which it does with a read before it writes. A read that ends at once makes the client drop the
    /// connection and use another, before it has sent anything; holding the request's write instead would leave a
    /// request with a body nowhere to go if the answer turns out bound, since the client sends again only requests
    /// without one. Costs a backend connection when the verdict would have been clean, which takes a request racing
    /// the previous answer's last microseconds.
    /// </summary>
    private bool TakenBeforeTheVerdict() =>
        _last is { IsJudged: false } previous && BackendExchange.Current.Value is { } exchange && !ReferenceEquals(exchange, previous);

    private async ValueTask ClaimThenWriteAsync(BackendExchange exchange, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_last is { } previous)
        {
            try
            {
                await previous.WhenJudged().WaitAsync(JudgementLimit, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Unjudged means unknown: a connection that may carry someone's identity is not worth keeping.
                Abort();
            }
        }

        _last = exchange;
        exchange.CarriedBy(this);
        if (!_aborted)
        {
            await _inner.WriteAsync(buffer, cancellationToken);
        }
    }
}
