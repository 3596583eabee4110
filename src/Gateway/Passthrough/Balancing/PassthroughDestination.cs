
namespace Gateway.Passthrough.Balancing;

/// <summary>
/// What the gateway knows about one destination at runtime: health, open tunnels, and an operator's
/// runtime override of its state. Survives reloads as long as the destination keeps its id and address.
/// </summary>
internal sealed class PassthroughDestination(PassthroughDestinationConfig config, TimeProvider time)
{
    private const int NoOverride = -1;

    private readonly TimeProvider _time = time;
    private PassthroughDestinationConfig _config = config;
    private int _activeConnections;
    private long _totalConnections;
    private int _runtimeState = NoOverride;
    private long _stateChangedAt = time.GetUtcNow().UtcTicks;

    public PassthroughDestinationConfig Config
    {
        get => Volatile.Read(ref _config);
        set
        {
            var before = EffectiveState;
            Volatile.Write(ref _config, value);
            StampIfChanged(before);
        }
    }

    public string DestinationId => Config.DestinationId;

    public PassthroughHealth Health { get; } = new(time);

    public TrafficCounters Traffic { get; } = new();

    /// <summary>Set at runtime (admin API); wins over the config's State until cleared with null.</summary>
    public DestinationAdminState? RuntimeState
    {
        get => Volatile.Read(ref _runtimeState) is var s and not NoOverride ? (DestinationAdminState)s : null;
        set
        {
            var before = EffectiveState;
            Volatile.Write(ref _runtimeState, value is { } state ? (int)state : NoOverride);
            StampIfChanged(before);
        }
    }

    public DestinationAdminState EffectiveState => RuntimeState ?? Config.State;

    /// <summary>When <see cref="EffectiveState"/> last changed (or the destination was first seen).</summary>
    public DateTimeOffset StateChangedAt => new(Interlocked.Read(ref _stateChangedAt), TimeSpan.Zero);

    /// <summary>Takes new connections: Active and not known to be down.</summary>
    public bool IsAvailable => EffectiveState == DestinationAdminState.Active && Health.Status != HealthStatus.Unhealthy;

    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    /// <summary>From the moment the destination is picked; <see cref="ConnectionClosed"/> undoes it if the dial fails.</summary>
    public void ConnectionOpened() => Interlocked.Increment(ref _activeConnections);

    /// <summary>Counts a tunnel that was established.</summary>
    public void TunnelEstablished() => Interlocked.Increment(ref _totalConnections);

    public void ConnectionClosed() => Interlocked.Decrement(ref _activeConnections);

    private void StampIfChanged(DestinationAdminState before)
    {
        if (EffectiveState != before)
        {
            Interlocked.Exchange(ref _stateChangedAt, _time.GetUtcNow().UtcTicks);
        }
    }
}
