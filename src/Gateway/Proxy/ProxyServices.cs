using Gateway.Configuration;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

internal static class ProxyServices
{
    /// <summary>L7: YARP fed from the generation rather than reading the file itself, and Gateway's route policies around it.</summary>
    public static IReverseProxyBuilder AddL7Proxy(this IServiceCollection services, Generation initial)
    {
        var yarp = initial.Get<YarpConfig>();
        var provider = new InMemoryConfigProvider(yarp.Routes, yarp.Clusters, YarpApplier.Revision(initial));
        services.AddSingleton(provider);
        services.AddSingleton<IProxyConfigProvider>(provider);
        services.AddSingleton<ProxyConfigApplied>();
        services.AddSingleton<IConfigChangeListener>(p => p.GetRequiredService<ProxyConfigApplied>());
        services.AddSingleton<IGenerationApplier, YarpApplier>();
        services.AddSingleton<ProxyDestinationStates>();
        services.AddSingleton<IGenerationApplier>(p => p.GetRequiredService<ProxyDestinationStates>());
        services.AddSingleton<ErrorPages>();
        services.AddSingleton<PlainHttpGuard>();
        services.AddSingleton<PooledConnectionGuards>();
        services.AddSingleton<BackendHttpClientFactory>();
        services.AddSingleton<IForwarderHttpClientFactory>(p => p.GetRequiredService<BackendHttpClientFactory>());
        services.AddSingleton<IClusterChangeListener>(p => p.GetRequiredService<BackendHttpClientFactory>());
        services.AddSingleton<ProxyStats>();
        services.AddSingleton<ProxyRequestRecorder>();
        services.AddSingleton<ForwardingErrorSummary>();

        var builder = services.AddReverseProxy().AddTransforms(transforms =>
        {
            var time = transforms.Services.GetRequiredService<TimeProvider>();
            transforms.AddRequestTransform(UntrustedRequestHeaders.ApplyAsync);
            transforms.AddResponseTransform(response => BackendTiming.RecordAsync(response, time));
        });

        // Routing's host policy compares every route's hosts with every other's when the route table is built
        // (docs/benchmarks.md: 10,000 routes); the replacement does the same with lookups.
        foreach (var stock in services.Where(d => d.ServiceType == typeof(MatcherPolicy) && d.ImplementationType == typeof(HostMatcherPolicy)).ToList())
        {
            services.Remove(stock);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, HostTableMatcherPolicy>());

        // YARP registers ASP.NET Core's authorization for its routes' AuthorizationPolicy, and WebApplication then runs
        // the authorization step on every request: a lookup, an await and an allocation each. Gateway refuses every
        // policy but "Anonymous" (ProxyConfigReader), which YARP turns into metadata that needs no step; the policy
        // provider YARP checks policy names with stays.
        services.RemoveAll<Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider>();
        return builder;
    }
}
