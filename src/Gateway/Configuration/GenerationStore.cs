namespace Gateway.Configuration;

/// <summary>
/// Holds the serving <see cref="Generation"/> (readers take it once per connection or request) and the outcome of
/// the last reload, so an operator can see why an edit did not apply.
/// </summary>
internal sealed class GenerationStore(Generation initial)
{
    private Generation _current = initial;
    private ReloadFailure? _lastFailure;

    public Generation Current => Volatile.Read(ref _current);

    /// <summary>The errors of the last rejected reload; null once a later reload applied.</summary>
    public ReloadFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Raised with the previous and the new generation once the new one is serving, on the reloading thread: handlers must return quickly.</summary>
    public event Action<Generation, Generation>? Published;

    public void Publish(Generation next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        Volatile.Write(ref _lastFailure, null);
        Published?.Invoke(previous, next);
    }

    public void Reject(ReloadFailure failure) => Volatile.Write(ref _lastFailure, failure);
}
