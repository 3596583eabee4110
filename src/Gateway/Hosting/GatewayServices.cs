using Gateway.Access;
using Gateway.AccessLog;
using Gateway.Admin;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Edge;
using Gateway.Limits;
using Gateway.Metrics;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;
using Gateway.Reload;
using Gateway.Tunnel;
using OpenTelemetry.Metrics;

namespace Gateway.Hosting;

/// <summary>The gateway's services, each capability registering its own, around the first configuration generation.</summary>
internal static class GatewayServices
{
    public static void Add(IServiceCollection services, TimeProvider time, ConfigLocation location, GenerationFactory factory, Generation initial, ConfigFileAtStart fileAtStart)
    {
        services.AddSingleton(time);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<GatewayListeners>();
        services.AddSingleton<SocketBudget>();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = initial.Get<ShutdownConfig>().Timeout);
        services.AddReload(location, factory, initial, fileAtStart);
        services.AddLimits();
        services.AddAccessLog();

        // Generation appliers run in registration order: L7 first, then L4, so both serve a new generation within the
        // same instant and a YARP failure leaves both on the running one.
        services.AddL7Proxy(initial).AddConnectionPinning();
        services.AddAccess();
        services.AddPassthrough(initial);
        services.AddEdge();
        services.AddAcme();
        services.AddAdmin();
    }

    /// <summary>Services that act on their own (gauges, reload listeners) and so must exist before the first request.</summary>
    public static void Start(IServiceProvider services)
    {
        services.GetRequiredService<StateGauges>();

        // The exporter listens once its provider exists; the counters' zeros are recorded after that, or lost.
        services.GetService<MeterProvider>();
        services.GetRequiredService<GatewayMetrics>().StartAtZero();
        services.GetRequiredService<LimitGauges>();
        services.GetRequiredService<RemovedRouteCloser>();
    }
}
