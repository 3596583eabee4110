using Gateway.Diagnostics;
using Gateway.Metrics;

namespace Gateway.Core;

/// <summary>
/// The sockets of connections, counted against the descriptors the open-files limit leaves them: each client
/// connection on a public listener and each backend connection, a tunnel's or an L7 request's, takes one. The
/// connection limit alone does not bound them: an HTTP/2 connection carries up to 100 requests at once, each on a
/// backend connection of its own, so a few clients would otherwise open backend connections until the process runs
/// out of descriptors, and dies (the runtime cannot start a thread or load an assembly). Past the budget a backend
/// connection is refused instead: the request gets a 502 or the tunnel is refused, and the process lives.
/// </summary>
/// <remarks>Sockets of the admin listener, health checks and ACME are in the descriptor reserve, not here.</remarks>
internal sealed partial class SocketBudget : IDisposable
{
    private readonly GatewayMetrics _metrics;
    private readonly EventTally<string> _refusals;
    private int _clients;
    private int _backends;
    private int _capacity = int.MaxValue;

    public SocketBudget(GatewayMetrics metrics, TimeProvider time, ILogger<SocketBudget> logger)
    {
        _metrics = metrics;
        var seconds = EventTally<string>.DefaultInterval.TotalSeconds;
        _refusals = new(time, EventTally<string>.DefaultInterval, (layer, count, last) => Log.BackendRefused(logger, count, layer, seconds, last));
    }

    /// <summary>Descriptors for connections' sockets: set from the open-files limit; unbounded where there is none.</summary>
    public int Capacity
    {
        get => Volatile.Read(ref _capacity);
        set => Volatile.Write(ref _capacity, value);
    }

    public int Clients => Volatile.Read(ref _clients);

    public int Backends => Volatile.Read(ref _backends);

    /// <summary>Takes a client connection's socket, when fewer than <paramref name="max"/> are open and a descriptor is left.</summary>
    public bool TryOpenClient(int max)
    {
        var clients = Interlocked.Increment(ref _clients);
        if (clients > max || clients + Backends > Capacity)
        {
            Interlocked.Decrement(ref _clients);
            return false;
        }

        return true;
    }

    public void CloseClient() => Interlocked.Decrement(ref _clients);

    /// <summary>
    /// Takes a backend connection's socket, before it is dialled; <see cref="CloseBackend"/> gives it back once closed.
    /// A refusal is counted and logged (a line per layer per interval).
    /// </summary>
    /// <param name="layer"><see cref="ClusterLayers.Passthrough"/> (a tunnel's) or <see cref="ClusterLayers.Proxy"/> (an L7 request's).</param>
    public bool TryOpenBackend(string layer)
    {
        var backends = Interlocked.Increment(ref _backends);
        var clients = Clients;
        if (backends + clients > Capacity)
        {
            Interlocked.Decrement(ref _backends);
            _metrics.BackendConnectionRefused(layer);
            _refusals.Record(layer, $"{clients} client and {backends - 1} backend connections open, {Capacity} descriptors for them");
            return false;
        }

        return true;
    }

    public void CloseBackend() => Interlocked.Decrement(ref _backends);

    public void Dispose() => _refusals.Dispose();

    private static partial class Log
    {
        [LoggerMessage(LogEvents.BackendConnectionsRefused, LogLevel.Warning, "{Count} {Layer} backend connections were refused in the last {IntervalSeconds} s for want of descriptors ({Last}): raise the open-files limit (LimitNOFILE), or set Gateway:Limits:MaxConnectionsPerClientIp so that a few clients' HTTP/2 streams cannot take them all", EventName = "BackendConnectionsRefused")]
        public static partial void BackendRefused(ILogger logger, long count, string layer, double intervalSeconds, string last);
    }
}
