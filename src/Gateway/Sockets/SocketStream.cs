using System.Net.Sockets;

namespace Gateway.Sockets;

/// <summary>
/// A connected socket as a stream, read and written through its engine: HttpClient's connections to web backends, so a
/// proxied request and its backend's answer run on the loop that read the request. Asynchronous calls only.
/// </summary>
internal sealed class SocketStream : Stream
{
    private readonly SocketIo _io;

    // After a read that came back short the socket is drained: the next read waits first, instead of asking the
    // socket and being told "would block". _drainedAt is the read version taken before that read.
    private bool _drained;
    private int _drainedAt;

    // Bytes taken in full reads in a row: a download as fast as the loop lets the loop's other sockets in.
    private int _streak;
    private int _disposed;

    public SocketStream(SocketIo io) => _io = io;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <remarks>
    /// A zero-byte read takes nothing and waits for the socket to report data or its end: HttpClient parks one on an
    /// idle pooled connection to learn that the backend closed it, so it must not end while the backend says nothing.
    /// After a short read it ends on the loop's next event without a peek, which saves a call per answer; an event can
    /// stand for bytes a read already took, so the read that follows may find nothing, and then waits (HttpClient's
    /// does, with its buffer).
    /// </remarks>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            if (_drained)
            {
                await _io.WaitReadableAsync(_drainedAt, cancellationToken);
                _drained = false;
                if (buffer.IsEmpty)
                {
                    return 0; // something came: the read that follows finds out what
                }
            }
            else if (_streak >= SocketIo.FairShare)
            {
                _streak = 0;
                await _io.YieldAsync();
            }

            while (true)
            {
                var seen = _io.ReadVersion;
                var read = buffer.IsEmpty
                    ? Peek(out var error)
                    : _io.Receive(buffer.Span, SocketFlags.None, out error);
                if (error == SocketError.WouldBlock)
                {
                    await _io.WaitReadableAsync(seen, cancellationToken);
                    continue;
                }

                if (error != SocketError.Success)
                {
                    throw new IOException($"Reading from the backend failed ({error}).", new SocketException((int)error));
                }

                _drained = read > 0 && read < buffer.Length;
                _drainedAt = seen;
                _streak = read == buffer.Length ? _streak + read : 0;
                return buffer.IsEmpty ? 0 : read;
            }
        }
        catch (SocketException e)
        {
            throw new IOException($"Reading from the backend failed ({e.SocketErrorCode}).", e); // a wait on .NET's engine
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("The backend connection was closed.", e);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _io.SendAllAsync(buffer);
        }
        catch (SocketException e)
        {
            throw new IOException($"Writing to the backend failed ({e.SocketErrorCode}).", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new IOException("The backend connection was closed.", e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    // Blocking here could stall the loop thread that has to complete the wait.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Only asynchronous reads.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Only asynchronous writes.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _io.Close();
        }

        base.Dispose(disposing);
    }

    /// <returns>1 when data is there, 0 at the end of the stream; nothing is taken.</returns>
    private int Peek(out SocketError error)
    {
        Span<byte> probe = stackalloc byte[1];
        return _io.Receive(probe, SocketFlags.Peek, out error);
    }
}
