using Gateway.Passthrough;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// In YARP's proxy pipeline after connection pinning and session affinity, before load balancing: takes Drain and
/// Disabled destinations (<see cref="ProxyDestinationStates"/>) out of a request's choice, as HAProxy does with a
/// server in drain or maintenance. A request already bound to one destination keeps it while it drains; both
/// bindings leave YARP's <see cref="DestinationState"/> itself (its own one-item list) as the request's choice, which
/// a filtered or health-checked list never is. Bound to a Disabled destination, a request by session affinity is
/// balanced among the others (a pinned connection never gets here: its forwarder closes it). With nothing left, YARP
/// answers as it does when every destination is unhealthy (503, "no-destination" in the access log).
/// </summary>
internal sealed class DestinationAdminStateMiddleware(RequestDelegate next, ProxyDestinationStates states)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (!states.AnySet)
        {
            return next(context);
        }

        var feature = context.GetReverseProxyFeature();
        if (states.For(feature.Cluster.Config.ClusterId) is not { } set)
        {
            return next(context);
        }

        var available = feature.AvailableDestinations;
        if (available is DestinationState bound)
        {
            if (set.GetValueOrDefault(bound.DestinationId)?.State != DestinationAdminState.Disabled)
            {
                return next(context);
            }

            available = context.GetRouteModel().Cluster?.DestinationsState.AvailableDestinations ?? [];
        }

        feature.AvailableDestinations = Taking(available, set);
        return next(context);
    }

    /// <summary>The destinations that take new requests: the list itself when all do.</summary>
    private static IReadOnlyList<DestinationState> Taking(IReadOnlyList<DestinationState> available, IReadOnlyDictionary<string, ProxyDestinationStates.Entry> set)
    {
        List<DestinationState>? taking = null;
        for (var i = 0; i < available.Count; i++)
        {
            var destination = available[i];
            var active = set.GetValueOrDefault(destination.DestinationId) is not { State: not DestinationAdminState.Active };
            if (!active && taking is null)
            {
                taking = new List<DestinationState>(available.Count);
                for (var j = 0; j < i; j++)
                {
                    taking.Add(available[j]);
                }
            }
            else if (active)
            {
                taking?.Add(destination);
            }
        }

        return taking is null ? available : taking;
    }
}
