using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Thousands of L7 routes, each with its own host, cluster and Gateway:Proxy settings: checking and applying must
/// grow with the number of routes, not with its square. Timed alone (serially), and compared with itself at a quarter
/// of the size on the same machine, so a slow machine slows both.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LargeConfigTests
{
    [Fact]
    public async Task Checking_four_times_the_routes_costs_well_under_sixteen_times_as_much()
    {
        await CheckAsync(500, policies: true); // JIT and first-use costs, out of the comparison

        var small = await CheckAsync(2_500, policies: true);
        var large = await CheckAsync(10_000, policies: true);

        // Linear is 4x; the quadratic read this guards against was 14-16x (2.9 s and 45 s on 2 cores).
        Assert.True(large < small * 10, $"2,500 routes: {small.TotalMilliseconds:F0} ms, 10,000: {large.TotalMilliseconds:F0} ms");
        Assert.True(large < TimeSpan.FromSeconds(30), $"10,000 routes took {large.TotalSeconds:F1} s to check");
    }

    /// <summary>The whole of --check for a generated file: the file read, Gateway's sections, YARP's, the cross-checks.</summary>
    private static async Task<TimeSpan> CheckAsync(int routes, bool policies)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        var file = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(file, Compose(routes, policies));

        // The best of two: one pause of a loaded machine should not decide the comparison.
        var best = TimeSpan.MaxValue;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var stopwatch = Stopwatch.StartNew();
            var errors = new ConfigErrors();
            var configuration = ConfigSources.TryBuild(file, [], errors);
            Assert.NotNull(configuration);
            var (snapshot, problems) = await new GatewaySnapshotFactory(TimeProvider.System).BuildAsync(configuration, directory, 1, persistFallback: false);
            best = stopwatch.Elapsed < best ? stopwatch.Elapsed : best;
            Assert.Empty(problems);
            Assert.Equal(routes, snapshot!.Proxy.Routes.Count);
            Assert.Equal(policies ? routes : 0, snapshot.Config.Proxy.Routes.Count);
        }

        return best;
    }

    /// <summary>
    /// Route r{i} serves app{i}.localhost through its own cluster c{i} to <paramref name="backend"/>; with policies, it
    /// has two Access rules and one path rule, as an operator writes them.
    /// </summary>
    internal static string Compose(int count, bool policies, string backend = "127.0.0.1:9", Func<int, JsonObject>? policy = null)
    {
        var routes = new JsonObject();
        var clusters = new JsonObject();
        var settings = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            routes[$"r{i}"] = new JsonObject
            {
                ["ClusterId"] = $"c{i}",
                ["Match"] = new JsonObject { ["Hosts"] = new JsonArray($"app{i}.localhost"), ["Path"] = "{**catch-all}" },
            };
            clusters[$"c{i}"] = new JsonObject { ["Destinations"] = new JsonObject { ["d1"] = new JsonObject { ["Address"] = $"http://{backend}/" } } };
            if (policies)
            {
                settings[$"r{i}"] = policy?.Invoke(i) ?? new JsonObject
                {
                    ["Access"] = new JsonArray("allow 127.0.0.0/8", "deny all"),
                    ["PathRules"] = new JsonArray(new JsonObject { ["Paths"] = new JsonArray("/ecp"), ["AllowedNetworks"] = new JsonArray("127.0.0.1") }),
                };
            }
        }

        var gateway = policies ? new JsonObject { ["Proxy"] = new JsonObject { ["Routes"] = settings } } : null;
        return TestGateway.Compose(gateway, new JsonObject { ["Routes"] = routes, ["Clusters"] = clusters });
    }
}
