namespace Gateway.Configuration;

/// <summary>
/// Holds the current <see cref="GatewaySnapshot"/> (readers take it once per connection) and the outcome of the
/// last reload, so an operator can see why an edit did not apply.
/// </summary>
internal sealed class GatewaySnapshotStore(GatewaySnapshot initial)
{
    private GatewaySnapshot _current = initial;
    private ReloadFailure? _lastFailure;

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    /// <summary>The errors of the last rejected reload; null once a later reload applied.</summary>
    public ReloadFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Raised after a new generation is serving, on the reloading thread: handlers must return quickly.</summary>
    public event Action<GatewaySnapshot>? Published;

    public void Publish(GatewaySnapshot snapshot)
    {
        Volatile.Write(ref _current, snapshot);
        Volatile.Write(ref _lastFailure, null);
        Published?.Invoke(snapshot);
    }

    public void Reject(ReloadFailure failure) => Volatile.Write(ref _lastFailure, failure);
}

internal sealed record ReloadFailure(DateTimeOffset At, IReadOnlyList<ConfigError> Errors);
