using Gateway.Configuration;

namespace Gateway.Passthrough.Balancing;

internal static class BalancingServices
{
    /// <summary>Cluster state that outlives generations (applied before each is published) and the balancing policies by name.</summary>
    public static IServiceCollection AddPassthroughBalancing(this IServiceCollection services, Generation initial)
    {
        services.AddSingleton(provider =>
        {
            var clusters = new PassthroughClusters(provider.GetRequiredService<TimeProvider>());
            clusters.Apply(initial.Get<PassthroughConfig>());
            return clusters;
        });
        services.AddSingleton<IGenerationApplier>(provider => provider.GetRequiredService<PassthroughClusters>());
        services.AddSingleton<IBalancingPolicy, RoundRobinPolicy>();
        services.AddSingleton<IBalancingPolicy, LeastConnectionsPolicy>();
        services.AddSingleton<IBalancingPolicy, RandomPolicy>();
        services.AddSingleton<IBalancingPolicy, FirstAvailablePolicy>();
        services.AddSingleton<IBalancingPolicy, SourceIpHashPolicy>();
        services.AddSingleton<DestinationPicker>();
        return services;
    }
}
