namespace Gateway.Passthrough.Balancing;

/// <summary>
/// HAProxy's rise/fall counting for one destination: Fall consecutive failures (active checks or failed
/// connects) take it down, Rise consecutive successful checks bring it back. Keeps when the status last
/// changed and the last active check, for the stats page.
/// </summary>
internal sealed class PassthroughHealth(TimeProvider time)
{
    private readonly Lock _lock = new();
    private HealthStatus _status;
    private int _successes;
    private int _failures;
    private DateTimeOffset _changedAt = time.GetUtcNow();
    private HealthCheckResult? _lastCheck;

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

    /// <summary>When <see cref="Status"/> last changed (or the destination was first seen).</summary>
    public DateTimeOffset ChangedAt
    {
        get
        {
            lock (_lock)
            {
                return _changedAt;
            }
        }
    }

    /// <summary>The last active check; null before the first one, or with checks off.</summary>
    public HealthCheckResult? LastCheck => Volatile.Read(ref _lastCheck);

    /// <summary>Failures in a row, checks or connects (HAProxy's "fall" progress).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _failures;
            }
        }
    }

    public void CheckDone(HealthCheckResult result) => Volatile.Write(ref _lastCheck, result);

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
            if (_status != HealthStatus.Unknown)
            {
                _changedAt = time.GetUtcNow();
            }

            (_status, _successes, _failures) = (HealthStatus.Unknown, 0, 0);
        }

        Volatile.Write(ref _lastCheck, null);
    }

    private HealthStatus? Set(HealthStatus next)
    {
        if (next == _status)
        {
            return null;
        }

        _status = next;
        _changedAt = time.GetUtcNow();
        return next;
    }
}
