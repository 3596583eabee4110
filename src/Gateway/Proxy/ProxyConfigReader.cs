using Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Reads and validates YARP's <c>ReverseProxy</c> section with YARP's own parser and validator, before anything
/// is applied: the live proxy is fed only configs that passed, so it never rejects half of a reload.
/// </summary>
internal static class ProxyConfigReader
{
    public const string SectionName = "ReverseProxy";

    public static async Task<YarpConfig> ReadAsync(IConfiguration root, ConfigErrors errors)
    {
        var section = root.GetSection(SectionName);

        // A throwaway container: YARP's config parser is internal, reachable only through LoadFromConfig.
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddReverseProxy().LoadFromConfig(section).Services
            .BuildServiceProvider();

        IProxyConfig config;
        try
        {
            config = services.GetRequiredService<IProxyConfigProvider>().GetConfig();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            errors.Add(SectionName, Describe(e));
            return YarpConfig.Empty;
        }

        var validator = services.GetRequiredService<IConfigValidator>();
        var clusterIds = config.Clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var route in config.Routes)
        {
            var path = $"{SectionName}:Routes:{route.RouteId}";
            foreach (var error in await validator.ValidateRouteAsync(route))
            {
                errors.Add(path, Describe(error));
            }

            if (route.ClusterId is { } clusterId && !clusterIds.Contains(clusterId))
            {
                errors.Add(path + ":ClusterId", $"cluster '{clusterId}' does not exist under {SectionName}:Clusters");
            }

            // YARP accepts these, but they need ASP.NET Core middleware Gateway does not run: every request of the
            // route would fail with a 500. "Anonymous" alone asks for nothing.
            if (route.AuthorizationPolicy is { } authorization && !authorization.Equals("Anonymous", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(path + ":AuthorizationPolicy",
                    $"'{authorization}' needs ASP.NET Core authentication, which Gateway does not run; use Gateway:Proxy:Routes:{route.RouteId}:Users or :Access instead (only \"Anonymous\" is accepted here)");
            }

            if (route.CorsPolicy is { } cors)
            {
                errors.Add(path + ":CorsPolicy",
                    $"'{cors}' needs ASP.NET Core's CORS middleware, which Gateway does not run (\"Disable\" too); remove it and let the backend send its CORS headers");
            }
        }

        foreach (var cluster in config.Clusters)
        {
            foreach (var error in await validator.ValidateClusterAsync(cluster))
            {
                errors.Add($"{SectionName}:Clusters:{cluster.ClusterId}", Describe(error));
            }
        }

        return new YarpConfig(config.Routes, config.Clusters);
    }

    private static string Describe(Exception e)
    {
        var messages = new List<string>();
        for (var current = e; current is not null; current = current.InnerException)
        {
            messages.Add(current.Message);
        }

        return string.Join(" ", messages.Distinct());
    }
}
