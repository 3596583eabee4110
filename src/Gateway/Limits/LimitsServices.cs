namespace Gateway.Limits;

internal static class LimitsServices
{
    /// <summary>Gateway:Limits at accept, and the connection limit the open-files limit allows.</summary>
    public static IServiceCollection AddLimits(this IServiceCollection services)
    {
        services.AddSingleton<ClientRateLimiter>();
        services.AddSingleton<DescriptorBudget>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<LimitGauges>();
        return services;
    }
}
