using Gateway.Diagnostics;

namespace Gateway.Passthrough;

/// <summary>
/// Tunnels and bytes, both ways, kept live (per read) so long tunnels show on the stats page as they run; with the
/// tunnels open now and their peak, and what went wrong, by kind (HAProxy's stats columns).
/// </summary>
internal sealed class TrafficCounters
{
    private long _fromClient;
    private long _fromBackend;
    private long _opened;
    private int _open;
    private int _peak;
    private long _connectFailures;
    private long _noDestination;
    private long _refusedByLimit;
    private long _clientErrors;
    private long _backendErrors;
    private long _idleTimeouts;

    public long BytesFromClient => Interlocked.Read(ref _fromClient);

    public long BytesFromBackend => Interlocked.Read(ref _fromBackend);

    public long TunnelsOpened => Interlocked.Read(ref _opened);

    /// <summary>Established tunnels open now.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The most established tunnels open at once since start.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Connects to a destination that failed (refused, timed out, unreachable).</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Connections closed because no destination was available (all down, drained or disabled).</summary>
    public long NoDestination => Interlocked.Read(ref _noDestination);

    /// <summary>Connections refused because the cluster was at its MaxConnections.</summary>
    public long RefusedByLimit => Interlocked.Read(ref _refusedByLimit);

    /// <summary>Tunnels ended by an error on the client's side (a reset).</summary>
    public long ClientErrors => Interlocked.Read(ref _clientErrors);

    /// <summary>Tunnels ended by an error on the backend's side (a reset).</summary>
    public long BackendErrors => Interlocked.Read(ref _backendErrors);

    /// <summary>Tunnels closed after their IdleTimeout without a byte.</summary>
    public long IdleTimeouts => Interlocked.Read(ref _idleTimeouts);

    public void AddFromClient(long bytes) => Interlocked.Add(ref _fromClient, bytes);

    public void AddFromBackend(long bytes) => Interlocked.Add(ref _fromBackend, bytes);

    public void Opened()
    {
        Interlocked.Increment(ref _opened);
        var open = Interlocked.Increment(ref _open);
        PeakGauge.Raise(ref _peak, open);
    }

    public void Closed() => Interlocked.Decrement(ref _open);

    public void ConnectFailed() => Interlocked.Increment(ref _connectFailures);

    public void NoDestinationAvailable() => Interlocked.Increment(ref _noDestination);

    public void LimitReached() => Interlocked.Increment(ref _refusedByLimit);

    public void ClientError() => Interlocked.Increment(ref _clientErrors);

    public void BackendError() => Interlocked.Increment(ref _backendErrors);

    public void IdleTimeout() => Interlocked.Increment(ref _idleTimeouts);
}
