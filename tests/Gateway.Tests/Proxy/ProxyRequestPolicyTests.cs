using System.Diagnostics.Metrics;
using System.Net;
using Gateway.Access;
using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Proxy;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Tests.Proxy;

/// <summary>
/// The proxy pipeline steps decide by the policy resolved once per request, and a route or cluster the published
/// generation does not know yet (YARP switches to a reload's routes before Gateway publishes their settings) is
/// refused, never proxied without its checks.
/// </summary>
public sealed class ProxyRequestPolicyTests
{
    private static readonly Dictionary<string, string?> Config = new()
    {
        ["ReverseProxy:Routes:owa:ClusterId"] = "exchange",
        ["ReverseProxy:Routes:owa:Match:Hosts:0"] = "mail.example",
        ["ReverseProxy:Routes:app:ClusterId"] = "app",
        ["ReverseProxy:Routes:app:Match:Hosts:0"] = "app.example",
        ["ReverseProxy:Clusters:exchange:Destinations:ex1:Address"] = "https://127.0.0.1:9443/",
        ["ReverseProxy:Clusters:app:Destinations:app1:Address"] = "http://127.0.0.1:9080/",
        ["Gateway:Proxy:Routes:owa:PathRules:0:Paths:0"] = "/ecp",
        ["Gateway:Proxy:Routes:owa:PathRules:0:AllowedNetworks:0"] = "127.0.0.2/32",
    };

    [Theory]
    [InlineData("renamed", "app")]
    [InlineData("app", "new-cluster")]
    public async Task A_route_or_cluster_the_published_generation_lacks_is_refused_by_every_check(string routeId, string clusterId)
    {
        var store = new GenerationStore(await BuildAsync(Config));
        var (routeAccess, pathRules) = Steps(store);

        var first = Request(routeId, clusterId, "/");
        var forwarded = await RunAsync(routeAccess.CheckAsync, first);
        Assert.False(forwarded);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, first.Response.StatusCode);

        var second = Request(routeId, clusterId, "/");
        forwarded = await RunAsync(pathRules.CheckAsync, second);
        Assert.False(forwarded);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, second.Response.StatusCode);
    }

    [Fact]
    public async Task A_route_without_gateway_settings_is_proxied_with_the_defaults()
    {
        var store = new GenerationStore(await BuildAsync(Config));
        var (routeAccess, pathRules) = Steps(store);
        var context = Request("app", "app", "/ecp");

        Assert.True(await RunAsync(routeAccess.CheckAsync, context));
        Assert.True(await RunAsync(pathRules.CheckAsync, context));
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.True(ProxyRequestPolicy.Of(context, store).Known);
        Assert.Null(ProxyRequestPolicy.Of(context, store).Route);
    }

    [Fact]
    public async Task A_reload_published_mid_request_does_not_change_the_settings_the_request_runs_under()
    {
        var store = new GenerationStore(await BuildAsync(Config));
        var (_, pathRules) = Steps(store);
        var context = Request("owa", "exchange", "/ecp%2Fdefault.aspx");
        Assert.NotNull(ProxyRequestPolicy.Of(context, store).Route);

        var relaxed = new Dictionary<string, string?>(Config);
        relaxed.Remove("Gateway:Proxy:Routes:owa:PathRules:0:Paths:0");
        relaxed.Remove("Gateway:Proxy:Routes:owa:PathRules:0:AllowedNetworks:0");
        store.Publish(await BuildAsync(relaxed));

        Assert.False(await RunAsync(pathRules.CheckAsync, context));
        Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
    }

    private static (RouteAccess RouteAccess, PathRules PathRules) Steps(GenerationStore store)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var metrics = new GatewayMetrics(meters);
        return (new RouteAccess(store, new BasicAuthenticator(TimeProvider.System), metrics, TimeProvider.System), new PathRules(store, metrics));
    }

    private static async Task<bool> RunAsync(Func<HttpContext, RequestDelegate, Task> step, HttpContext context)
    {
        var forwarded = false;
        await step(context, _ =>
        {
            forwarded = true;
            return Task.CompletedTask;
        });
        return forwarded;
    }

    private static DefaultHttpContext Request(string routeId, string clusterId, string path)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = new PathString(path);
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        var cluster = new ClusterModel(new ClusterConfig { ClusterId = clusterId }, new HttpMessageInvoker(new SocketsHttpHandler()));
        context.Features.Set<IReverseProxyFeature>(new ReverseProxyFeature
        {
            Route = new RouteModel(new RouteConfig { RouteId = routeId, ClusterId = clusterId, Match = new RouteMatch() }, new ClusterState(clusterId, cluster), HttpTransformer.Empty),
            Cluster = cluster,
            AllDestinations = [],
            AvailableDestinations = [],
        });
        return context;
    }

    private static async Task<Generation> BuildAsync(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var (generation, errors) = await ConfigUnderTest.BuildAsync(configuration, "/tmp");
        Assert.Empty(errors);
        return generation!;
    }
}
