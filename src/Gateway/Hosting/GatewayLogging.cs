using Microsoft.Extensions.Logging.Console;

namespace Gateway.Hosting;

/// <summary>Logging as the gateway needs it, whatever the <c>Logging</c> section says.</summary>
internal static class GatewayLogging
{
    /// <param name="extra">An extra log destination (tests read what the gateway logs).</param>
    public static void Configure(WebApplicationBuilder builder, ILoggerProvider? extra)
    {
        // Connection logs are written from the I/O threads: a slow journal must cost log lines (the console logger
        // reports how many it dropped), never stall every socket behind a full queue.
        builder.Services.Configure<ConsoleLoggerOptions>(options => options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite);
        if (extra is not null)
        {
            builder.Logging.AddProvider(extra);
        }

        // ASP.NET Core starts an Activity for every request while its hosting category logs at any level, and
        // HttpClient then sends the backend a traceparent of a span that no tracer records, in place of the client's.
        // Without the span, a client's trace context passes through unchanged, and L7 keep-alive is faster (measured in
        // docs/benchmarks.md). The rule goes first, so a level for this category in the Logging section still wins.
        builder.Services.Configure<LoggerFilterOptions>(options =>
        {
            options.Rules.Insert(0, new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null));

            // YARP logs every forwarding error - a client's slow body or reset, a backend down - at Warning with its stack
            // trace, and a line per request at Information: a client could make the gateway write as fast as it sends.
            // Gateway.Proxy.ForwardingErrorSummary writes them counted, per route and kind, and the access log has the
            // request. Named in the Logging section, the category comes back.
            options.Rules.Insert(0, new LoggerFilterRule(null, "Yarp.ReverseProxy.Forwarder.HttpForwarder", LogLevel.None, null));
        });
    }
}
