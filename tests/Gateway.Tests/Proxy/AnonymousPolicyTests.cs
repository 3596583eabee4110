using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Gateway runs no ASP.NET Core authorization step (its routes' access is its own): a route that says
/// <c>"AuthorizationPolicy": "Anonymous"</c>, the one policy accepted, is proxied all the same.
/// </summary>
public sealed class AnonymousPolicyTests
{
    [Fact]
    public async Task A_route_marked_anonymous_is_proxied_with_no_authorization_step_in_the_pipeline()
    {
        await using var backend = await TestBackend.StartAsync("app");
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": {
                "open": { "ClusterId": "app", "AuthorizationPolicy": "Anonymous", "Match": { "Hosts": [ "open.test" ], "Path": "{**catch-all}" } },
                "shouted": { "ClusterId": "app", "AuthorizationPolicy": "ANONYMOUS", "Match": { "Hosts": [ "shouted.test" ], "Path": "{**catch-all}" } },
                "plain": { "ClusterId": "app", "Match": { "Hosts": [ "plain.test" ], "Path": "{**catch-all}" } }
              },
              "Clusters": { "app": { "Destinations": { "d1": { "Address": "http://{{backend.Address}}/" } } } }
            }
            """)!.AsObject();
        await using var gateway = await TestGateway.StartAsync(null, proxy);

        // What makes WebApplication add the authorization step to every request.
        Assert.Null(gateway.Services.GetService<IAuthorizationHandlerProvider>());
        // Gateway accepts the name in any case: so must YARP, or it would ask for a step that is not there (a 500).
        foreach (var host in new[] { "open.test", "shouted.test", "plain.test" })
        {
            using var client = HostClient.Create(gateway.Https, host);
            using var answer = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.StartsWith("app ", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}
