using Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Reads and validates YARP's <c>ReverseProxy</c> section with YARP's own parser and validator, before anything
/// is applied: the live proxy is fed only configs that passed, so it never rejects half of a reload. Every key and
/// value is checked first (<see cref="YarpSectionCheck"/>); YARP then reads the routes and clusters without an error
/// of their own, so its validator still reports what is wrong with those in the same pass.
/// </summary>
internal static class ProxyConfigReader
{
    public const string SectionName = "ReverseProxy";

    public static async Task<YarpConfig> ReadAsync(IConfiguration root, ConfigErrors errors)
    {
        var section = root.GetSection(SectionName);
        var check = YarpSectionCheck.Run(section, errors);

        // A throwaway container: YARP's config parser is internal, reachable only through LoadFromConfig.
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddReverseProxy().LoadFromConfig(ForYarp(section, check)).Services
            .BuildServiceProvider();

        IProxyConfig config;
        try
        {
            config = services.GetRequiredService<IProxyConfigProvider>().GetConfig();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            // The check above reads every value YARP reads; this is a value it missed, reported as YARP words it.
            errors.Add(SectionName, Describe(e));
            return YarpConfig.Empty;
        }

        var validator = services.GetRequiredService<IConfigValidator>();
        var clusterIds = WrittenIds(section, "Clusters");
        foreach (var route in config.Routes)
        {
            var path = $"{SectionName}:Routes:{route.RouteId}";

            // YARP accepts a route timeout, but applies it through ASP.NET Core's request-timeout middleware, which Gateway
            // does not run: YARP then fails every request of the route with a 500 rather than forward it unbounded. The
            // cluster's activity timeout bounds a backend that stops answering without it. "Disable" asks for nothing.
            // YARP's validator is given the route without them, so a policy name it does not know adds no second error.
            var timeoutRefused = false;
            if (route.Timeout is not null)
            {
                errors.Add(path + ":Timeout",
                    $"needs ASP.NET Core's request-timeout middleware, which Gateway does not run (every request of the route would fail with a 500); remove it and set {SectionName}:Clusters:{route.ClusterId ?? "{id}"}:HttpRequest:ActivityTimeout or Gateway:Proxy:Clusters:{route.ClusterId ?? "{id}"}:ActivityTimeout, how long a request may go without data from the backend");
                timeoutRefused = true;
            }

            if (route.TimeoutPolicy is { } timeoutPolicy && !timeoutPolicy.Equals("Disable", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(path + ":TimeoutPolicy",
                    $"'{timeoutPolicy}' needs ASP.NET Core's request-timeout middleware, which Gateway does not run; remove it and set {SectionName}:Clusters:{route.ClusterId ?? "{id}"}:HttpRequest:ActivityTimeout or Gateway:Proxy:Clusters:{route.ClusterId ?? "{id}"}:ActivityTimeout (only \"Disable\" is accepted here)");
                timeoutRefused = true;
            }

            // "Default" names ASP.NET Core's global rate limiter, which Gateway does not run either: YARP accepts it, and the
            // route is then not limited at all. Another name is refused by YARP's validator (no such policy).
            if (route.RateLimiterPolicy is { } rateLimiter && rateLimiter.Equals("Default", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(path + ":RateLimiterPolicy",
                    "'Default' names ASP.NET Core's rate limiter, which Gateway does not run: the route would not be limited at all; remove it (Gateway:Limits:NewConnectionsPerClientIpPerMinute and MaxConnectionsPerClientIp limit each client address)");
            }

            foreach (var error in await validator.ValidateRouteAsync(timeoutRefused ? route with { Timeout = null, TimeoutPolicy = null } : route))
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

            // YARP takes any activity timeout; "0s" makes every request of the cluster a 504. The same floor as Gateway's own.
            if (cluster.HttpRequest?.ActivityTimeout is { } activity && activity < ProxyPolicies.MinActivityTimeout)
            {
                var key = section.GetSection("Clusters").GetSection(cluster.ClusterId).GetSection("HttpRequest").GetSection("ActivityTimeout");
                errors.Add(key.Path, $"{key.Value} is out of range; it must be at least {Duration.Format(ProxyPolicies.MinActivityTimeout)} (how long a request may go without data from the backend; YARP's default is 100s)");
            }
        }

        return new YarpConfig(config.Routes, config.Clusters);
    }

    /// <summary>
    /// The ids of <c>Routes</c> or <c>Clusters</c> as written, read or not: a route YARP could not read because of an
    /// error of its own still exists, and nothing that names it should report otherwise.
    /// </summary>
    public static HashSet<string> WrittenIds(IConfigurationSection section, string level) =>
        section.GetSection(level).GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The section itself, or when values were rewritten or entries are in error, a copy with the values as YARP reads
    /// them and without those entries.
    /// </summary>
    private static IConfiguration ForYarp(IConfigurationSection section, YarpSectionCheck check)
    {
        if (check.Rewritten.Count == 0 && check.InError.Count == 0)
        {
            return section;
        }

        var inError = check.InError.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var left = section.AsEnumerable()
            .Where(kv => !inError.Contains(Entry(kv.Key)))
            .Select(kv => check.Rewritten.TryGetValue(kv.Key, out var rewritten) ? KeyValuePair.Create(kv.Key, (string?)rewritten) : kv);
        return new ConfigurationBuilder().Add(new IndexedMemoryConfigurationProvider(left)).Build().GetSection(SectionName);
    }

    /// <summary>"ReverseProxy:Routes:app" of "ReverseProxy:Routes:app:Match:Hosts:0".</summary>
    private static string Entry(string path)
    {
        var end = -1;
        for (var level = 0; level < 3; level++)
        {
            end = path.IndexOf(':', end + 1);
            if (end < 0)
            {
                return path;
            }
        }

        return path[..end];
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
