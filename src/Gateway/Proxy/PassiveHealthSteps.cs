using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Proxy;

/// <summary>YARP's passive health step, run only for requests whose cluster has passive health checks on.</summary>
internal static class PassiveHealthSteps
{
    /// <remarks>
    /// YARP's step awaits the rest of the pipeline for every request and only then looks at the cluster's settings:
    /// an await and an allocation per request for clusters that never asked for it, which is most. The request's
    /// cluster is fixed before the proxy pipeline runs, so the same settings decide here, before.
    /// </remarks>
    public static IReverseProxyApplicationBuilder UsePassiveHealthChecksWhereEnabled(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseWhen(
            context => context.GetReverseProxyFeature().Cluster?.Config.HealthCheck?.Passive?.Enabled == true,
            branch => new Branch(branch).UsePassiveHealthChecks());
        return proxy;
    }

    /// <summary>YARP's steps extend its own builder type; a branch of the pipeline is a plain one.</summary>
    private sealed class Branch(IApplicationBuilder inner) : IReverseProxyApplicationBuilder
    {
        public IServiceProvider ApplicationServices
        {
            get => inner.ApplicationServices;
            set => inner.ApplicationServices = value;
        }

        public IFeatureCollection ServerFeatures => inner.ServerFeatures;

        public IDictionary<string, object?> Properties => inner.Properties;

        public RequestDelegate Build() => inner.Build();

        public IApplicationBuilder New() => inner.New();

        public IApplicationBuilder Use(Func<RequestDelegate, RequestDelegate> middleware) => inner.Use(middleware);
    }
}
