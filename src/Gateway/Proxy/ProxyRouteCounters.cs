using Gateway.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Proxy;

/// <summary>
/// One L7 route and cluster since start: requests in flight and their peak, answers by status class, server errors,
/// forwarding errors by YARP's kind, and a latency histogram. Every request touches it: Interlocked only.
/// </summary>
internal sealed class ProxyRouteCounters
{
    /// <summary>1xx, 2xx, 3xx, 4xx, 5xx, other.</summary>
    public const int StatusClasses = 6;

    private static readonly int ErrorKinds = Enum.GetValues<ForwarderError>().Max(e => (int)e) + 1;

    private readonly long[] _statusClasses = new long[StatusClasses];
    private readonly long[] _forwarderErrors = new long[ErrorKinds];
    private long _requests;
    private long _errors;
    private long _ticks;
    private int _inFlight;
    private int _peak;

    public LatencyHistogram Latency { get; } = new();

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>5xx answers and forwarding errors (whatever status those were answered with).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    public double AverageSeconds => Requests is var requests and > 0 ? TimeSpan.FromTicks(Interlocked.Read(ref _ticks) / requests).TotalSeconds : 0;

    public int InFlight => Volatile.Read(ref _inFlight);

    public int PeakInFlight => Volatile.Read(ref _peak);

    /// <summary>Answers of class <paramref name="index"/>: 0 for 1xx ... 4 for 5xx, 5 for anything else.</summary>
    public long Status(int index) => Interlocked.Read(ref _statusClasses[index]);

    /// <summary>The forwarding errors by kind, the kinds that happened only.</summary>
    public IEnumerable<(ForwarderError Kind, long Count)> ForwarderErrors()
    {
        for (var i = 0; i < _forwarderErrors.Length; i++)
        {
            if (Interlocked.Read(ref _forwarderErrors[i]) is var count and > 0)
            {
                yield return ((ForwarderError)i, count);
            }
        }
    }

    public void Started()
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        PeakGauge.Raise(ref _peak, inFlight);
    }

    public void Finished(int status, ForwarderError? error, TimeSpan duration)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _ticks, duration.Ticks);
        Interlocked.Increment(ref _statusClasses[status is >= 100 and < 600 ? (status / 100) - 1 : StatusClasses - 1]);
        Latency.Record(duration);
        if (error is { } kind && (int)kind >= 0 && (int)kind < _forwarderErrors.Length)
        {
            Interlocked.Increment(ref _forwarderErrors[(int)kind]);
        }

        if (status >= 500 || error is not null)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}
