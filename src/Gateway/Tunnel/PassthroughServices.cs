using Gateway.Configuration;
using Gateway.Passthrough.Balancing;
using Gateway.Passthrough.Health;

namespace Gateway.Tunnel;

internal static class PassthroughServices
{
    /// <summary>L4: balancing, active health checks, the tunnels, and closing the tunnels of routes a reload removed.</summary>
    public static IServiceCollection AddPassthrough(this IServiceCollection services, Generation initial)
    {
        services.AddPassthroughBalancing(initial);
        services.AddHostedService<ActiveHealthChecker>();
        services.AddSingleton<TunnelFailures>();
        services.AddSingleton<TunnelHandler>();
        services.AddSingleton<RemovedRouteCloser>();
        return services;
    }
}
