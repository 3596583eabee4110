namespace Gateway.Passthrough.Balancing;

/// <summary>
/// HAProxy's rise/fall counting for one destination: Fall consecutive failures (active checks or failed
/// connects) take it down, Rise consecutive successful checks bring it back.
/// </summary>
internal sealed class PassthroughHealth
{
    private readonly Lock _lock = new();
    private HealthStatus _status;
    private int _successes;
    private int _failures;

    public HealthStatus Status
    {
        get
        {
            lock (_lock)
            {
                return _status;
            }
        }
    }

    /// <returns>The new status when it changed, otherwise null.</returns>
    public HealthStatus? RecordSuccess(int rise)
    {
        lock (_lock)
        {
            _failures = 0;
            _successes++;
            var next = _status == HealthStatus.Unhealthy && _successes < rise ? HealthStatus.Unhealthy : HealthStatus.Healthy;
            return Set(next);
        }
    }

    /// <returns>The new status when it changed, otherwise null.</returns>
    public HealthStatus? RecordFailure(int fall)
    {
        lock (_lock)
        {
            _successes = 0;
            _failures++;
            return _failures >= fall ? Set(HealthStatus.Unhealthy) : null;
        }
    }

    /// <summary>Checks switched off: forget what they said.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            (_status, _successes, _failures) = (HealthStatus.Unknown, 0, 0);
        }
    }

    private HealthStatus? Set(HealthStatus next)
    {
        if (next == _status)
        {
            return null;
        }

        _status = next;
        return next;
    }
}
