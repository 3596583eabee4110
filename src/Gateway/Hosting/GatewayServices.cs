using System.Globalization;
using Gateway.Access;
using Gateway.Admin;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Edge;
using Gateway.Limits;
using Gateway.Metrics;
using Gateway.Passthrough.Balancing;
using Gateway.Passthrough.Health;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;
using Gateway.ProxyProtocol;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Hosting;

/// <summary>The gateway's services, registered around the first configuration generation.</summary>
internal static class GatewayServices
{
    public static void Add(IServiceCollection services, TimeProvider time, CommandLine commandLine, GatewaySnapshotFactory factory, GatewaySnapshot snapshot)
    {
        services.AddSingleton(time);
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<StateGauges>();
        services.AddSingleton<LimitGauges>();
        services.AddSingleton<GatewayListeners>();
        services.AddSingleton<ClientRateLimiter>();
        services.AddSingleton<DescriptorBudget>();
        services.AddSingleton<ConnectionLimiter>();
        services.AddSingleton<BasicAuthenticator>();
        services.Configure<HostOptions>(options => options.ShutdownTimeout = snapshot.Config.ShutdownTimeout);

        // Configuration: the serving generation, and the reloader that replaces it.
        services.AddSingleton(commandLine);
        services.AddSingleton(factory);
        services.AddSingleton(new GatewaySnapshotStore(snapshot));
        services.AddSingleton<ConfigReloader>();
        services.AddHostedService(provider => provider.GetRequiredService<ConfigReloader>());

        // L4: cluster state that outlives generations, balancing policies by name, health, tunnels.
        var clusters = new PassthroughClusters(time);
        clusters.Apply(snapshot.Config.Passthrough);
        services.AddSingleton(clusters);
        services.AddSingleton<IBalancingPolicy, RoundRobinPolicy>();
        services.AddSingleton<IBalancingPolicy, LeastConnectionsPolicy>();
        services.AddSingleton<IBalancingPolicy, RandomPolicy>();
        services.AddSingleton<IBalancingPolicy, FirstAvailablePolicy>();
        services.AddSingleton<IBalancingPolicy, SourceIpHashPolicy>();
        services.AddSingleton<DestinationPicker>();
        services.AddHostedService<ActiveHealthChecker>();
        services.AddSingleton<TunnelHandler>();

        // The edge: the public listeners' (HTTPS, HTTP, streams) own accept loops, ahead of Kestrel's socket transport.
        services.AddSingleton<ProxyHeaderReceiver>();
        services.AddSingleton<ClientHelloRouter>();
        services.AddSingleton<StreamRouter>();
        services.AddSingleton<IConnectionListenerFactory, EdgeListenerFactory>();

        // L7: YARP, fed from the snapshot rather than reading the file itself.
        var proxyConfig = new InMemoryConfigProvider(snapshot.Proxy.Routes, snapshot.Proxy.Clusters, snapshot.Generation.ToString(CultureInfo.InvariantCulture));
        services.AddSingleton(proxyConfig);
        services.AddSingleton<IProxyConfigProvider>(proxyConfig);
        services.AddSingleton<ProxyConfigApplied>();
        services.AddSingleton<IConfigChangeListener>(provider => provider.GetRequiredService<ProxyConfigApplied>());
        services.AddSingleton<NtlmGuard>();
        services.AddSingleton<PathRules>();
        services.AddSingleton<RouteAccess>();
        services.AddSingleton<ErrorPages>();
        services.AddSingleton<PlainHttpGuard>();
        services.AddSingleton<PinnedForwarder>();
        services.AddReverseProxy().AddTransforms(transforms =>
        {
            var guard = transforms.Services.GetRequiredService<NtlmGuard>();
            transforms.AddResponseTransform(guard.CheckResponseAsync);
            transforms.AddRequestTransform(UntrustedRequestHeaders.ApplyAsync);
        });
        services.AddSingleton<PooledConnectionGuards>();
        services.AddSingleton<BackendHttpClientFactory>();
        services.AddSingleton<IForwarderHttpClientFactory>(provider => provider.GetRequiredService<BackendHttpClientFactory>());
        services.AddSingleton<IClusterChangeListener>(provider => provider.GetRequiredService<BackendHttpClientFactory>());
        services.AddSingleton<ProxyStats>();
        services.AddSingleton<ProxyRequestRecorder>();

        // Routing's host policy compares every route's hosts with every other's when the route table is built: 10 s for
        // 10,000 routes, at start and on each reload that changes a route. The replacement does the same with lookups.
        foreach (var stock in services.Where(d => d.ServiceType == typeof(MatcherPolicy) && d.ImplementationType == typeof(HostMatcherPolicy)).ToList())
        {
            services.Remove(stock);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, HostTableMatcherPolicy>());

        // Certificates: what a handshake is answered with, and ACME keeping certificates for L7 hosts.
        services.AddSingleton<ManagedCertificates>();
        services.AddSingleton<AcmeChallengeResponses>();
        services.AddSingleton<TlsOptionsSelector>();
        services.AddSingleton<AcmeOrderer>();
        services.AddSingleton<AcmeCertificateManager>();
        services.AddHostedService(provider => provider.GetRequiredService<AcmeCertificateManager>());

        // Admin.
        services.AddSingleton<TrafficHistory>();
        services.AddHostedService(provider => provider.GetRequiredService<TrafficHistory>());
        AdminEndpoints.AddMetrics(services);
    }
}
