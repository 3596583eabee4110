using Gateway.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// The Gateway:Proxy settings one proxied request runs under, read once from one generation and kept on the request:
/// a reload published mid-request cannot have one step check under the old settings and the next forward under the new.
/// </summary>
internal sealed class ProxyRequestPolicy
{
    private ProxyRequestPolicy(ProxyPolicies policies, RoutePolicyConfig? route, ClusterPolicyConfig? pinned, bool known)
    {
        Policies = policies;
        Route = route;
        Pinned = pinned;
        Known = known;
    }

    public ProxyPolicies Policies { get; }

    /// <summary>The route's settings; null for a route that has none (every default applies).</summary>
    public RoutePolicyConfig? Route { get; }

    /// <summary>The cluster's pinning settings; null for a pooled cluster.</summary>
    public ClusterPolicyConfig? Pinned { get; }

    /// <summary>
    /// False when YARP matched a route or cluster this generation does not have: a reload switches YARP to its routes
    /// before their settings are published, and a new route must not serve in between without its access rules.
    /// </summary>
    public bool Known { get; }

    /// <summary>The request's policy, resolved by the first proxy pipeline step that asks.</summary>
    public static ProxyRequestPolicy Of(HttpContext context, GenerationStore generations)
    {
        if (context.Features.Get<ProxyRequestPolicy>() is { } resolved)
        {
            return resolved;
        }

        var feature = context.GetReverseProxyFeature();
        var policies = generations.Current.Get<ProxyPolicies>();
        var routeId = feature.Route.Config.RouteId;
        var clusterId = feature.Cluster?.Config.ClusterId;
        var policy = new ProxyRequestPolicy(
            policies,
            policies.Route(routeId),
            clusterId is null ? null : policies.Pinned(clusterId),
            policies.HasRoute(routeId) && (clusterId is null || policies.HasCluster(clusterId)));
        context.Features.Set(policy);
        return policy;
    }

    /// <summary>503 for a request whose route's settings are not known yet: fail closed rather than proxy it unchecked.</summary>
    public static Task RefuseUnknownAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        return Task.CompletedTask;
    }
}
