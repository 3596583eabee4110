using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Proxy;
using Gateway.Tunnel;
using OpenTelemetry.Metrics;
using Yarp.ReverseProxy;

namespace Gateway.Admin;

/// <summary>
/// The admin listener's whole pipeline, kept apart from the public one: requests that arrive there never reach
/// YARP, and these endpoints do not exist on the public listeners.
/// </summary>
internal static partial class AdminEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void Configure(IApplicationBuilder admin)
    {
        admin.UseMiddleware<AdminAccessMiddleware>();
        admin.UseOpenTelemetryPrometheusScrapingEndpoint("/metrics");
        admin.UseRouting();
        admin.UseEndpoints(endpoints =>
        {
            endpoints.MapGet("/healthz", () => Results.Text("ok\n"));
            endpoints.MapGet("/readyz", (GatewayListeners listeners, GenerationStore generations) =>
                listeners.Https is not null && generations.Current.Number > 0
                    ? Results.Text($"ready, config generation {generations.Current.Number}\n")
                    : Results.Text("not ready: listeners not bound yet\n", statusCode: StatusCodes.Status503ServiceUnavailable));
            endpoints.MapGet("/", () => Results.Redirect("stats"));
            endpoints.MapGet("/stats", StatsPageAsync);
            endpoints.MapGet("/stats.json", (HttpContext context) => Results.Json(Build(context), Json));
            endpoints.MapPost("/api/clusters/{cluster}/destinations/{destination}/state", SetState);

            // The stats page's buttons: the same handler, its parameters in the query, and back to the page when done.
            endpoints.MapPost("/stats/state", SetState).AddEndpointFilter(BackToStats);
        });
    }

    /// <summary>
    /// HAProxy's "set server state": Active, Drain or Disabled at runtime; "Config" returns to the file's value (Active for
    /// an L7 destination, which has none). Passthrough and YARP clusters are named apart: an id both use needs
    /// <c>layer=passthrough</c> or <c>layer=proxy</c>.
    /// </summary>
    private static IResult SetState(string cluster, string destination, string? value, string? layer, PassthroughClusters clusters,
        IProxyStateLookup proxy, ProxyDestinationStates proxyStates, ILoggerFactory loggers)
    {
        var asked = layer;
        layer = layer?.ToLowerInvariant();
        if (layer is not (null or ClusterLayers.Passthrough or ClusterLayers.Proxy))
        {
            return Results.BadRequest(new { error = $"layer '{asked}' is not one of: {ClusterLayers.Passthrough}, {ClusterLayers.Proxy}" });
        }

        var passthrough = layer is null or ClusterLayers.Passthrough ? clusters.Get(cluster) : null;
        var yarp = layer is null or ClusterLayers.Proxy && proxy.TryGetCluster(cluster, out var found) ? found : null;
        if (passthrough is not null && yarp is not null)
        {
            return Results.Conflict(new
            {
                error = $"'{cluster}' is both a passthrough cluster and a proxy (ReverseProxy) cluster: add layer={ClusterLayers.Passthrough} or layer={ClusterLayers.Proxy}",
            });
        }

        if (passthrough is null && yarp is null)
        {
            var where = layer switch { ClusterLayers.Passthrough => "passthrough cluster", ClusterLayers.Proxy => "proxy cluster", _ => "passthrough or proxy cluster" };
            return Results.NotFound(new { error = $"no {where} '{cluster}'" });
        }

        var logger = loggers.CreateLogger("Gateway.Admin");
        if (passthrough is not null)
        {
            if (passthrough.Find(destination) is not { } target)
            {
                return Results.NotFound(new { error = $"no destination '{destination}' in passthrough cluster '{passthrough.ClusterId}'" });
            }

            if (!TryReadState(value, out var state))
            {
                return Results.BadRequest(new { error = NotAState(value) });
            }

            target.RuntimeState = state;
            StateSet(logger, target.DestinationId, passthrough.ClusterId, target.EffectiveState);
            return Results.Json(new
            {
                cluster = passthrough.ClusterId,
                destination = target.DestinationId,
                layer = ClusterLayers.Passthrough,
                state = target.EffectiveState.ToString(),
                setAtRuntime = target.RuntimeState is not null,
            }, Json);
        }

        if (!yarp!.Destinations.TryGetValue(destination, out var l7))
        {
            return Results.NotFound(new { error = $"no destination '{destination}' in proxy cluster '{yarp.ClusterId}'" });
        }

        if (!TryReadState(value, out var l7State))
        {
            return Results.BadRequest(new { error = NotAState(value) });
        }

        proxyStates.Set(yarp.ClusterId, l7.DestinationId, l7.Model.Config.Address, l7State);
        var effective = proxyStates.Get(yarp.ClusterId, l7.DestinationId);
        ProxyStateSet(logger, l7.DestinationId, yarp.ClusterId, effective);
        return Results.Json(new
        {
            cluster = yarp.ClusterId,
            destination = l7.DestinationId,
            layer = ClusterLayers.Proxy,
            state = effective.ToString(),
            setAtRuntime = l7State is not null,
        }, Json);
    }

    /// <summary>The state's name, in any case, and nothing else: no number, no list ("Active,Drain"), no padding.</summary>
    /// <param name="state">Null for "Config".</param>
    private static bool TryReadState(string? value, out DestinationAdminState? state)
    {
        state = null;
        if (string.Equals(value, "Config", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var candidate in Enum.GetValues<DestinationAdminState>())
        {
            if (string.Equals(value, candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                state = candidate;
                return true;
            }
        }

        return false;
    }

    private static string NotAState(string? value) =>
        value is null ? "value is required: one of Active, Drain, Disabled, Config" : $"'{value}' is not one of: Active, Drain, Disabled, Config";

    [LoggerMessage(LogEvents.DestinationStateSet, LogLevel.Warning, "Destination {DestinationId} of cluster {ClusterId} set to {State} through the admin API", EventName = "DestinationStateSet")]
    private static partial void StateSet(ILogger logger, string destinationId, string clusterId, DestinationAdminState state);

    [LoggerMessage(LogEvents.ProxyDestinationStateSet, LogLevel.Warning, "Proxy destination {DestinationId} of cluster {ClusterId} set to {State} through the admin API", EventName = "ProxyDestinationStateSet")]
    private static partial void ProxyStateSet(ILogger logger, string destinationId, string clusterId, DestinationAdminState state);

    private static Task StatsPageAsync(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = StatsPage.ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync(StatsPage.Render(Build(context)), context.RequestAborted);
    }

    /// <summary>A state set from the page's form answers 303 to the page (a reload does not post again); a refusal is shown as the API says it.</summary>
    private static async ValueTask<object?> BackToStats(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (result is IStatusCodeHttpResult { StatusCode: null or StatusCodes.Status200OK })
        {
            context.HttpContext.Response.Headers.Location = "../stats";
            return Results.StatusCode(StatusCodes.Status303SeeOther);
        }

        return result;
    }

    private static StatsDocument Build(HttpContext context)
    {
        var services = context.RequestServices;
        var query = context.Request.Query;
        return StatsDocument.Build(
            services.GetRequiredService<GenerationStore>(),
            services.GetRequiredService<PassthroughClusters>(),
            services.GetRequiredService<TunnelHandler>(),
            services.GetRequiredService<ProxyStats>(),
            services.GetRequiredService<TrafficHistory>(),
            services.GetRequiredService<Certificates.Acme.ManagedCertificates>(),
            services.GetRequiredService<Certificates.Acme.AcmeCertificateManager>(),
            services.GetRequiredService<Limits.ConnectionLimiter>(),
            services.GetRequiredService<Limits.DescriptorBudget>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<IProxyStateLookup>(),
            services.GetRequiredService<ProxyDestinationStates>(),
            services.GetRequiredService<Proxy.Pinning.PinnedForwarder>(),
            query["client"].ToString() is { Length: > 0 } client ? client : null,
            query["tunnels"] == "largest");
    }

    /// <summary>Registers the exporter with Gateway's meter and the built-in ones worth scraping.</summary>
    public static void AddMetrics(IServiceCollection services) =>
        services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter(Metrics.GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel",
                "System.Net.Http", "System.Net.NameResolution", "System.Runtime");
            foreach (var instrument in DroppedInstruments)
            {
                metrics.AddView(instrument, MetricStreamConfiguration.Drop);
            }

            metrics.AddPrometheusExporter();
        });

    /// <summary>
    /// In-flight gauges that .NET moves up to eight times per proxied request (a request starts and ends on both sides,
    /// and its pooled backend connection goes from idle to active and back). Measured side by side, they cost a visible
    /// share of L7 keep-alive throughput (docs/benchmarks.md); a dropped instrument is never switched on, so it costs nothing.
    /// </summary>
    private static readonly string[] DroppedInstruments =
        ["http.server.active_requests", "http.client.active_requests", "http.client.open_connections"];
}
