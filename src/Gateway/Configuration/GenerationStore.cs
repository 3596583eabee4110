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

    /// <returns>
    /// Each <see cref="Published"/> handler that threw, by the type it belongs to, with what it threw. The generation is
    /// serving whatever they do, and every other handler has run: one failing follower (say, logging) must neither keep
    /// the others (closing removed routes' tunnels, ACME) from following nor make the caller think nothing changed.
    /// </returns>
    public IReadOnlyList<(string Follower, Exception Exception)> Publish(Generation next)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        Volatile.Write(ref _lastFailure, null);
        List<(string, Exception)>? failed = null;
        foreach (var handler in Published?.GetInvocationList().Cast<Action<Generation, Generation>>() ?? [])
        {
            try
            {
                handler(previous, next);
            }
            catch (Exception e)
            {
                // Logged and counted by the caller, which knows the file and has the logger.
                (failed ??= []).Add((Follower(handler), e));
            }
        }

        return (IReadOnlyList<(string, Exception)>?)failed ?? [];
    }

    /// <summary>The type that subscribed, not the compiler's class for its lambda.</summary>
    private static string Follower(Delegate handler)
    {
        var type = handler.Method.DeclaringType;
        while (type is { DeclaringType: { } outer } && type.Name.StartsWith('<'))
        {
            type = outer;
        }

        return type?.FullName ?? handler.Method.Name;
    }

    public void Reject(ReloadFailure failure) => Volatile.Write(ref _lastFailure, failure);
}
