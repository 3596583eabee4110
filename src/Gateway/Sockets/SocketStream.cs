using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Gateway.Sockets;

/// <summary>
/// A connected socket as a stream, read and written through its engine: HttpClient's connections to web backends, so a
/// proxied request and its backend's answer run on the loop that read the request. Asynchronous calls only.
/// </summary>
internal sealed class SocketStream : Stream, IValueTaskSource<int>
{
    private readonly SocketIo _io;

    // After a read that came back short the socket is drained: the next read waits first, instead of asking the
    // socket and being told "would block". _drainedAt is the read version taken before that read.
    private bool _drained;
    private int _drainedAt;

    // Bytes taken in full reads in a row: a download as fast as the loop lets the loop's other sockets in.
    private int _streak;
    private int _disposed;

    // The read in progress. HttpClient reads one at a time, so one reusable completion serves them all: a read that
    // has to wait allocates nothing (an async method's state machine would, for every answer a backend sends).
    private ManualResetValueTaskSourceCore<int> _read;
    private Memory<byte> _buffer;
    private CancellationToken _cancellation;
    private ValueTask _wait;
    private AfterWait _afterWait;
    private bool _suspended;
    private readonly Action _resume;

    public SocketStream(SocketIo io)
    {
        _io = io;
        _resume = Resume;
    }

    /// <summary>What a read does once the wait it is suspended on is over.</summary>
    private enum AfterWait
    {
        /// <summary>The wait after a short read: a zero-byte read is done, any other receives.</summary>
        Drained,

        /// <summary>A yield, or a wait after "would block": receive (again).</summary>
        Receive,
    }

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
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _buffer = buffer;
        _cancellation = cancellationToken;
        try
        {
            if (_drained)
            {
                _afterWait = AfterWait.Drained;
                var wait = _io.WaitReadableAsync(_drainedAt, cancellationToken);
                return wait.IsCompleted ? WaitOver(wait) : Suspend(wait);
            }

            if (_streak >= SocketIo.FairShare)
            {
                _streak = 0;
                _afterWait = AfterWait.Receive;
                var yielded = _io.YieldAsync();
                return yielded.IsCompleted ? WaitOver(yielded) : Suspend(yielded);
            }

            return Receive();
        }
        catch (Exception e)
        {
            return Fail(e);
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

    int IValueTaskSource<int>.GetResult(short token) => _read.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _read.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _read.OnCompleted(continuation, state, token, flags);

    /// <summary>Receives until data, the end or an error; on "would block", waits, suspending the read if it must.</summary>
    private ValueTask<int> Receive()
    {
        while (true)
        {
            var seen = _io.ReadVersion;
            var read = _buffer.IsEmpty
                ? Peek(out var error)
                : _io.Receive(_buffer.Span, SocketFlags.None, out error);
            if (error == SocketError.WouldBlock)
            {
                var wait = _io.WaitReadableAsync(seen, _cancellation);
                if (!wait.IsCompleted)
                {
                    _afterWait = AfterWait.Receive;
                    return Suspend(wait);
                }

                wait.GetAwaiter().GetResult();
                continue; // readable already: ask again
            }

            if (error != SocketError.Success)
            {
                return Fail(new IOException($"Reading from the backend failed ({error}).", new SocketException((int)error)));
            }

            _drained = read > 0 && read < _buffer.Length;
            _drainedAt = seen;
            _streak = read == _buffer.Length ? _streak + read : 0;
            return Done(_buffer.IsEmpty ? 0 : read);
        }
    }

    /// <summary>Parks the read on <paramref name="wait"/>; <see cref="Resume"/> goes on from there.</summary>
    private ValueTask<int> Suspend(ValueTask wait)
    {
        if (!_suspended)
        {
            _suspended = true;
            _read.Reset();
        }

        _wait = wait;
        wait.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_resume);
        return new ValueTask<int>(this, _read.Version);
    }

    /// <summary>Runs where the wait ended (a loop's thread): goes on with the read, which ends in the completion.</summary>
    private void Resume()
    {
        var wait = _wait;
        _wait = default;
        // The read is suspended, so what these return is only a handle to the completion its caller already awaits.
#pragma warning disable CA2012
        try
        {
            _ = WaitOver(wait);
        }
        catch (Exception e)
        {
            _ = Fail(e);
        }
#pragma warning restore CA2012
    }

    /// <summary>After a wait that is over: a zero-byte read after a drain is done; anything else receives.</summary>
    private ValueTask<int> WaitOver(ValueTask wait)
    {
        wait.GetAwaiter().GetResult();
        if (_afterWait == AfterWait.Drained)
        {
            _drained = false;
            if (_buffer.IsEmpty)
            {
                return Done(0); // something came: the read that follows finds out what
            }
        }

        return Receive();
    }

    private ValueTask<int> Done(int read)
    {
        _buffer = default;
        _cancellation = default;
        if (!_suspended)
        {
            return ValueTask.FromResult(read);
        }

        _suspended = false;
        _read.SetResult(read);
        return default;
    }

    /// <summary>Ends the read with <paramref name="error"/>; a socket's own errors become the IOException a stream gives.</summary>
    private ValueTask<int> Fail(Exception error)
    {
        error = error switch
        {
            SocketException e => new IOException($"Reading from the backend failed ({e.SocketErrorCode}).", e), // a wait on .NET's engine
            ObjectDisposedException e => new IOException("The backend connection was closed.", e),
            _ => error,
        };
        _buffer = default;
        _cancellation = default;
        if (!_suspended)
        {
            return ValueTask.FromException<int>(error);
        }

        _suspended = false;
        _read.SetException(error);
        return default;
    }

    /// <returns>1 when data is there, 0 at the end of the stream; nothing is taken.</returns>
    private int Peek(out SocketError error)
    {
        Span<byte> probe = stackalloc byte[1];
        return _io.Receive(probe, SocketFlags.Peek, out error);
    }
}
