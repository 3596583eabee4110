using System.Threading.Tasks.Sources;

namespace Gateway.Sockets.Epoll;

/// <summary>
/// One direction of one socket (readable, or writable): a version the loop bumps on every event, and at most one
/// waiter, resumed on the loop's thread.
/// </summary>
/// <remarks>
/// The waiter and the loop meet through two interlocked fields: the loop bumps the version, then takes the waiter; the
/// waiter publishes itself, then checks the version again. Whichever comes second sees the other, so no event is lost
/// between a read that said "would block" and the wait that follows it.
/// <para>
/// An end (the peer's FIN, a reset, an error) is kept, not just counted: it can arrive together with the last data, and
/// a read that returns that data looks drained while the end still waits behind it, with no new event to come. TCP
/// urgent data does the same once: a read stops at its mark, short, with the bytes after it already reported.
/// </para>
/// </remarks>
internal sealed class ReadinessWaiter : IValueTaskSource, IValueTaskSource<bool>
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private CancellationTokenRegistration _registration;
    private CancellationToken _cancellation;
    private int _version;
    private int _waiting;
    private int _urgent;
    private volatile bool _ended;
    private volatile bool _aborted;
    private bool _cancelEndsQuietly;

    public int Version => Volatile.Read(ref _version);

    /// <exception cref="ObjectDisposedException">The socket stopped being watched.</exception>
    public ValueTask WaitAsync(int seen, CancellationToken cancellation)
    {
        if (_aborted)
        {
            return ValueTask.FromException(new ObjectDisposedException(nameof(SocketIo)));
        }

        if (Ready(seen))
        {
            return default;
        }

        if (cancellation.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellation);
        }

        if (Park(seen) is { } ended)
        {
            return ended ? default : ValueTask.FromException(new ObjectDisposedException(nameof(SocketIo)));
        }

        Watch(quietly: false, cancellation);
        return new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// As <see cref="WaitAsync"/> without a cancellation, for an owner to whom the socket's close is the ordinary end:
    /// false when the socket stopped being watched, where <see cref="WaitAsync"/> throws (an exception per connection
    /// closed while its read waited, the common case, costs more than the rest of the close).
    /// </summary>
    public ValueTask<bool> WaitOrAbortAsync(int seen)
    {
        if (_aborted)
        {
            return new(false);
        }

        if (Ready(seen))
        {
            return new(true);
        }

        return Park(seen) is { } ended ? new(ended) : new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>
    /// As <see cref="WaitOrAbortAsync"/>, with a cancellation that also ends the wait with false rather than an exception.
    /// </summary>
    public ValueTask<bool> WaitOrCancelAsync(int seen, CancellationToken cancellation)
    {
        if (_aborted || cancellation.IsCancellationRequested)
        {
            return new(false);
        }

        if (Ready(seen))
        {
            return new(true);
        }

        if (Park(seen) is { } ended)
        {
            return new(ended);
        }

        Watch(quietly: true, cancellation);
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Ends the parked wait when <paramref name="cancellation"/> fires: with false when <paramref name="quietly"/>, else with its exception.</summary>
    private void Watch(bool quietly, CancellationToken cancellation)
    {
        if (!cancellation.CanBeCanceled)
        {
            return;
        }

        // Before the registration: a token cancelled meanwhile runs the callback at once, here.
        _cancelEndsQuietly = quietly;
        _cancellation = cancellation;
        _registration = cancellation.UnsafeRegister(static state => ((ReadinessWaiter)state!).Cancel(), this);
    }

    /// <summary>Publishes the waiter; what the wait ended with when the socket became ready or was aborted meanwhile, else null.</summary>
    private bool? Park(int seen)
    {
        _core.Reset();
        Interlocked.Exchange(ref _waiting, 1);
        if ((_aborted || Ready(seen)) && Interlocked.CompareExchange(ref _waiting, 0, 1) == 1)
        {
            return !_aborted;
        }

        return null;
    }

    /// <summary>On the loop's thread: the socket may be ready; a waiter resumes here, inline.</summary>
    /// <param name="ended">The socket reported an end: from now on every wait ends at once.</param>
    /// <param name="urgent">Urgent data is pending: the next wait ends at once, for the read past its mark.</param>
    public void Signal(bool ended, bool urgent = false)
    {
        if (ended)
        {
            _ended = true;
        }

        if (urgent)
        {
            Volatile.Write(ref _urgent, 1);
        }

        Interlocked.Increment(ref _version);
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            _core.SetResult(true);
        }
    }

    /// <summary>Ends a wait still pending when the socket stops being watched, and every later one.</summary>
    /// <remarks>
    /// The waiter resumes on the thread pool: the thread closing the socket may be anyone's (Kestrel's timeouts, a
    /// stop), and must not run the rest of the connection's close.
    /// </remarks>
    public void Abort()
    {
        _aborted = true;
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static waiter => waiter._core.SetResult(false), this, preferLocal: false);
        }
    }

    private bool Ready(int seen) =>
        _ended || Volatile.Read(ref _version) != seen || (Volatile.Read(ref _urgent) == 1 && Interlocked.Exchange(ref _urgent, 0) == 1);

    private void Cancel()
    {
        if (Interlocked.Exchange(ref _waiting, 0) == 1)
        {
            if (_cancelEndsQuietly)
            {
                _core.SetResult(false);
            }
            else
            {
                _core.SetException(new OperationCanceledException(_cancellation));
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => ObjectDisposedException.ThrowIf(!GetResult(token), typeof(SocketIo));

    bool IValueTaskSource<bool>.GetResult(short token) => GetResult(token);

    private bool GetResult(short token)
    {
        // Only reached after a wait returned, so the registration it made is in place.
        _registration.Dispose();
        _registration = default;
        _cancellation = default;
        _cancelEndsQuietly = false;
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            // The continuation, and the state machine behind it, are let go now rather than at the next wait: a socket
            // that waits once (a backend's connect) kept its dialer's state for as long as the tunnel lasted.
            _core.Reset();
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
