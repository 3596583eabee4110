namespace Gateway.Admin;

internal static class AdminServices
{
    /// <summary>What the admin listener shows: gauges read at scrape time, traffic history, the Prometheus exporter.</summary>
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<StateGauges>();
        services.AddSingleton<TrafficHistory>();
        services.AddHostedService(provider => provider.GetRequiredService<TrafficHistory>());
        AdminEndpoints.AddMetrics(services);
        return services;
    }
}
