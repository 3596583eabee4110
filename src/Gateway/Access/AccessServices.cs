namespace Gateway.Access;

internal static class AccessServices
{
    /// <summary>Who may use an L7 route: client networks, users and their passwords (throttled), path rules.</summary>
    public static IServiceCollection AddAccess(this IServiceCollection services)
    {
        services.AddSingleton<BasicAuthenticator>();
        services.AddSingleton<PathRules>();
        services.AddSingleton<RouteAccess>();
        return services;
    }
}
