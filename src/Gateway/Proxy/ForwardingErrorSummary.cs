using Gateway.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Proxy;

/// <summary>
/// Forwarding errors, one line per route and kind per interval with a count, in place of YARP's line with a stack
/// trace per request: what a client or a backend causes (a body sent too slowly, a reset, a backend down) is not
/// Gateway's bug, and a thousand clients must not make a thousand lines.
/// </summary>
internal sealed partial class ForwardingErrorSummary : IDisposable
{
    private readonly EventTally<(string Route, ForwarderError Error)> _tally;

    public ForwardingErrorSummary(TimeProvider time, ILogger<ForwardingErrorSummary> logger) =>
        _tally = new(time, EventTally<(string, ForwarderError)>.DefaultInterval, (key, count, cause) =>
            Log.ForwardingErrors(logger, count, key.Route, key.Error, EventTally<(string, ForwarderError)>.DefaultInterval.TotalSeconds, cause));

    public void Record(string route, IForwarderErrorFeature error)
    {
        // The innermost message says what happened (connection refused, data arriving too slowly); the stack says
        // only where in YARP or Kestrel it surfaced.
        var cause = error.Exception;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        _tally.Record((route, error.Error), cause?.Message ?? "-");
    }

    /// <summary>Writes and resets the counts; the timer calls it, a test may too.</summary>
    public void Flush() => _tally.Flush();

    public void Dispose() => _tally.Dispose();

    private static partial class Log
    {
        [LoggerMessage(LogEvents.ForwardingErrors, LogLevel.Information, "{Count} requests on route {RouteId} ended with {Error} in the last {IntervalSeconds} s, the last: {Cause}", EventName = "ForwardingErrors")]
        public static partial void ForwardingErrors(ILogger logger, long count, string routeId, ForwarderError error, double intervalSeconds, string cause);
    }
}
