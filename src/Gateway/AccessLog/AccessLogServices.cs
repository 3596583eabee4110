namespace Gateway.AccessLog;

internal static class AccessLogServices
{
    /// <summary>The access log's writer; its middleware and the tunnels format their lines through it.</summary>
    public static IServiceCollection AddAccessLog(this IServiceCollection services)
    {
        services.AddSingleton<AccessLogWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<AccessLogWriter>());
        return services;
    }
}
