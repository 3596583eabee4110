using Gateway.Configuration;

namespace Gateway.Reload;

internal static class ReloadServices
{
    /// <summary>The serving generation, and the reloader that replaces it when the file changes.</summary>
    /// <param name="fileAtStart">The config file as it was before <paramref name="initial"/> was built from it.</param>
    public static IServiceCollection AddReload(this IServiceCollection services, ConfigLocation location, GenerationFactory factory, Generation initial, ConfigFileAtStart fileAtStart)
    {
        services.AddSingleton(location);
        services.AddSingleton(fileAtStart);
        services.AddSingleton(factory);
        services.AddSingleton(new GenerationStore(initial));
        services.AddSingleton<ConfigReloader>();
        services.AddHostedService(provider => provider.GetRequiredService<ConfigReloader>());
        return services;
    }
}
