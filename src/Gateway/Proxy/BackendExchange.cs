namespace Gateway.Proxy;

/// <summary>
/// One request to a pooled backend and the connection that carried it, judged once its answer's headers are in:
/// clean, or bound (the backend tied an identity to the connection, which is then closed). The connection stream
/// learns which exchange writes through it from <see cref="Current"/>, which flows with the request into the
/// client's send, and holds the next exchange's first write until this one is judged.
/// </summary>
internal sealed class BackendExchange
{
    private const int Pending = 0;
    private const int Clean = 1;
    private const int Bound = 2;

    private int _state;
    private TaskCompletionSource? _judged;
    private PooledConnectionStream? _carrier;

    /// <summary>The exchange of the request being sent in this async flow; null outside a guarded client.</summary>
    public static AsyncLocal<BackendExchange?> Current { get; } = new();

    /// <summary>True when the backend bound an identity to the connection that carried this exchange.</summary>
    public bool IsBound => Volatile.Read(ref _state) == Bound;

    /// <summary>True when the exchange was judged bound and its connection was found and closed.</summary>
    public bool ConnectionClosed { get; private set; }

    /// <summary>True once the answer has been judged, clean or bound.</summary>
    public bool IsJudged => Volatile.Read(ref _state) != Pending;

    /// <summary>True once the next exchange on the same connection waits for this one's verdict.</summary>
    public bool IsAwaited => Volatile.Read(ref _judged) is not null;

    /// <summary>Completes when the answer has been judged.</summary>
    public Task WhenJudged()
    {
        if (Volatile.Read(ref _state) != Pending)
        {
            return Task.CompletedTask;
        }

        // Rare (the next request raced this answer's verdict), so the waiter is made only then, without a lock:
        // whichever of this and Judge comes second completes it.
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var judged = Interlocked.CompareExchange(ref _judged, created, null) ?? created;
        if (Volatile.Read(ref _state) != Pending)
        {
            judged.TrySetResult();
        }

        return judged.Task;
    }

    /// <summary>The connection stream this exchange's request was written to (always before its answer is judged).</summary>
    public void CarriedBy(PooledConnectionStream stream) => Volatile.Write(ref _carrier, stream);

    /// <summary>Records the verdict; a bound connection is closed before anything waiting for the verdict resumes.</summary>
    public void Judge(bool bound)
    {
        if (bound && Volatile.Read(ref _carrier) is { } carrier)
        {
            carrier.Abort();
            ConnectionClosed = true;
        }

        if (Interlocked.CompareExchange(ref _state, bound ? Bound : Clean, Pending) == Pending)
        {
            Volatile.Read(ref _judged)?.TrySetResult();
        }
    }
}
