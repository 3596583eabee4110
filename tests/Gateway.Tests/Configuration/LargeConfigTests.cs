using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Proxy;
using Gateway.Reload;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection;

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

    [Fact]
    public async Task Applying_10000_routes_with_policies_costs_well_under_sixteen_times_2500_and_each_route_keeps_its_rules()
    {
        await using var backend = await TestBackend.StartAsync("app");
        await using var gateway = await TestGateway.StartAsync(null, null);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        Assert.Contains(gateway.Services.GetServices<MatcherPolicy>(), p => p is HostTableMatcherPolicy);
        Assert.DoesNotContain(gateway.Services.GetServices<MatcherPolicy>(), p => p is HostMatcherPolicy);

        // Each apply changes every route's host, so YARP and routing rebuild everything; the best of two per size.
        async Task<TimeSpan> ApplyAsync(int routes, string domain)
        {
            await gateway.WriteConfigAsync(null, null, Compose(routes, policies: true, backend.Address, Policy, domain));
            var stopwatch = Stopwatch.StartNew();
            Assert.True(await reloader.ReloadAsync());

            // The routing table for the new routes is built by the reload or by the first request that needs it.
            var host = $"app{routes - 1}.{domain}";
            using var client = HostClient.Create(gateway.Https, host);
            using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{host}: {response.StatusCode}");
            return stopwatch.Elapsed;
        }

        await ApplyAsync(500, "localhost"); // JIT and first-use costs, out of the comparison
        var small = Min(await ApplyAsync(2_500, "b.localhost"), await ApplyAsync(2_500, "localhost"));
        var large = Min(await ApplyAsync(10_000, "b.localhost"), await ApplyAsync(10_000, "localhost"));

        // Linear is 4x; routing's stock host policy alone made 10,000 routes cost 10 s.
        Assert.True(large < small * 10, $"2,500 routes: {small.TotalMilliseconds:F0} ms, 10,000: {large.TotalMilliseconds:F0} ms");
        Assert.True(large < TimeSpan.FromSeconds(30), $"10,000 routes took {large.TotalSeconds:F1} s to apply");

        // Every 1,000th route (from r7) allows only 127.0.0.2; every route closes /ecp to all but 127.0.0.1. The backend
        // has no /ecp: its 404 is the answer of a request the rules let through. It answers "/" with 200.
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(gateway, "app9999.localhost", "/ecp", IPAddress.Loopback));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(gateway, "app9999.localhost", "/ecp", IPAddress.Parse("127.0.0.3")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "app9999.localhost", "/", IPAddress.Parse("127.0.0.3")));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(gateway, "app5007.localhost", "/", IPAddress.Loopback));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "APP5007.localhost", "/", IPAddress.Parse("127.0.0.2")));
        Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(gateway, "app5007.localhost", "/ecp/x", IPAddress.Parse("127.0.0.2")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, "app0.localhost", "/", IPAddress.Loopback));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(gateway, "app10000.localhost", "/", IPAddress.Loopback));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static JsonObject Policy(int route) => new()
    {
        ["Access"] = route % 1000 == 7 ? new JsonArray("allow 127.0.0.2", "deny all") : new JsonArray("allow 127.0.0.0/8", "deny all"),
        ["PathRules"] = new JsonArray(new JsonObject { ["Paths"] = new JsonArray("/ecp"), ["AllowedNetworks"] = new JsonArray("127.0.0.1") }),
    };

    private static async Task<HttpStatusCode> StatusAsync(TestGateway gateway, string host, string path, IPAddress from)
    {
        using var client = HostClient.Create(gateway.Https, host, from: from);
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        return response.StatusCode;
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
            var (generation, problems) = await ConfigUnderTest.BuildAsync(configuration, directory);
            best = stopwatch.Elapsed < best ? stopwatch.Elapsed : best;
            Assert.Empty(problems);
            Assert.Equal(routes, generation!.Get<YarpConfig>().Routes.Count);
            Assert.Equal(policies ? routes : 0, generation.Get<ProxyPoliciesConfig>().Routes.Count);
        }

        return best;
    }

    /// <summary>
    /// Route r{i} serves app{i}.{domain} through its own cluster c{i} to <paramref name="backend"/>; with policies, it
    /// has two Access rules and one path rule, as an operator writes them.
    /// </summary>
    internal static string Compose(int count, bool policies, string backend = "127.0.0.1:9", Func<int, JsonObject>? policy = null, string domain = "localhost")
    {
        var routes = new JsonObject();
        var clusters = new JsonObject();
        var settings = new JsonObject();
        for (var i = 0; i < count; i++)
        {
            routes[$"r{i}"] = new JsonObject
            {
                ["ClusterId"] = $"c{i}",
                ["Match"] = new JsonObject { ["Hosts"] = new JsonArray($"app{i}.{domain}"), ["Path"] = "{**catch-all}" },
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
