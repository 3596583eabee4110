using System.Collections.Concurrent;
using Gateway.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Proxy;

/// <summary>
/// Forwarding errors, one line per route and kind per interval with a count, in place of YARP's line with a stack
/// trace per request: what a client or a backend causes (a body sent too slowly, a reset, a backend down) is not
/// Gateway's bug, and a thousand clients must not make a thousand lines. The number of lines an interval is bounded
/// by the routes in the configuration times YARP's error kinds.
/// </summary>
internal sealed partial class ForwardingErrorSummary : IDisposable
{
    /// <summary>How often the counts are written and reset.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<(string Route, ForwarderError Error), Tally> _tallies = new();
    private readonly ILogger _logger;
    private readonly ITimer _timer;

    public ForwardingErrorSummary(TimeProvider time, ILogger<ForwardingErrorSummary> logger)
    {
        _logger = logger;
        _timer = time.CreateTimer(static state => ((ForwardingErrorSummary)state!).Flush(), this, Interval, Interval);
    }

    public void Record(string route, IForwarderErrorFeature error)
    {
        var tally = _tallies.GetOrAdd((route, error.Error), static _ => new Tally());
        Interlocked.Increment(ref tally.Count);

        // The innermost message says what happened (connection refused, data arriving too slowly); the stack says
        // only where in YARP or Kestrel it surfaced.
        var cause = error.Exception;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        tally.Sample = cause?.Message;
    }

    /// <summary>Writes and resets the counts; the timer calls it, a test may too.</summary>
    public void Flush()
    {
        foreach (var (key, tally) in _tallies)
        {
            var count = Interlocked.Exchange(ref tally.Count, 0);
            if (count == 0)
            {
                _tallies.TryRemove(new KeyValuePair<(string, ForwarderError), Tally>(key, tally));
                continue;
            }

            Log.ForwardingErrors(_logger, count, key.Route, key.Error, Interval.TotalSeconds, tally.Sample ?? "-");
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Tally
    {
        public long Count;
        public string? Sample;
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.ForwardingErrors, LogLevel.Information, "{Count} requests on route {RouteId} ended with {Error} in the last {IntervalSeconds} s, the last: {Cause}", EventName = "ForwardingErrors")]
        public static partial void ForwardingErrors(ILogger logger, long count, string routeId, ForwarderError error, double intervalSeconds, string cause);
    }
}
