using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>
/// YARP's passive health checks through Gateway's pipeline: a destination that refuses connections is taken out of a
/// cluster that asked for them, and only of that one.
/// </summary>
public sealed class PassiveHealthTests
{
    [Fact]
    public async Task A_destination_that_keeps_failing_is_taken_out_where_passive_checks_are_on_and_only_there()
    {
        await using var backend = await TestBackend.StartAsync("up");
        using var down = new ClosedPort();
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": {
                "watched": { "ClusterId": "watched", "Match": { "Hosts": [ "watched.test" ], "Path": "{**catch-all}" } },
                "unwatched": { "ClusterId": "unwatched", "Match": { "Hosts": [ "unwatched.test" ], "Path": "{**catch-all}" } }
              },
              "Clusters": {
                "watched": {
                  "LoadBalancingPolicy": "RoundRobin",
                  "HealthCheck": { "Passive": { "Enabled": true, "Policy": "TransportFailureRate", "ReactivationPeriod": "00:10:00" } },
                  "Destinations": { "up": { "Address": "http://{{backend.Address}}/" }, "down": { "Address": "http://{{down.Address}}/" } }
                },
                "unwatched": {
                  "LoadBalancingPolicy": "RoundRobin",
                  "Destinations": { "up": { "Address": "http://{{backend.Address}}/" }, "down": { "Address": "http://{{down.Address}}/" } }
                }
              }
            }
            """)!.AsObject();
        await using var gateway = await TestGateway.StartAsync(null, proxy);

        // Past YARP's least count of requests (10) at a failure rate of a half, over its limit (0.3).
        var watched = await AskAsync(gateway, "watched.test", 30);
        var unwatched = await AskAsync(gateway, "unwatched.test", 30);

        Assert.Contains(HttpStatusCode.BadGateway, watched);
        Assert.All(watched.TakeLast(10), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(5, unwatched.TakeLast(10).Count(status => status == HttpStatusCode.BadGateway));
    }

    private static async Task<List<HttpStatusCode>> AskAsync(TestGateway gateway, string host, int count)
    {
        using var client = HostClient.Create(gateway.Https, host);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var answer = await client.GetAsync("/");
            statuses.Add(answer.StatusCode);
        }

        return statuses;
    }
}
