using Gateway.Metrics;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// The first step of YARP's pipeline: times every proxied request and records it by route, cluster and status
/// class (YARP 2.3 has no Meter of its own). A forwarding error counts as a server error whatever the status, and
/// goes to the summary that stands in for YARP's log line.
/// </summary>
internal sealed class ProxyRequestRecorder(GatewayMetrics metrics, ProxyStats stats, ForwardingErrorSummary errors, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var started = time.GetTimestamp();

        // YARP sets the route and its cluster before its pipeline runs: counted in flight from here.
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var route = proxy?.Route.Config.RouteId ?? "unknown";
        var cluster = proxy?.Cluster?.Config.ClusterId ?? "unknown";
        var counters = stats.For(route, cluster);
        counters.Started();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            var elapsed = time.GetElapsedTime(started);
            metrics.ProxyRequest(route, cluster, status, elapsed);
            var error = context.Features.Get<IForwarderErrorFeature>();
            if (error is not null)
            {
                errors.Record(route, error);
            }

            counters.Finished(status, error?.Error, elapsed);
        }
    }
}
