using System.Runtime.CompilerServices;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Passthrough;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy.Pinning;

/// <summary>
/// Forwarding for connection-pinned clusters, in YARP's proxy pipeline: <see cref="KeepDestinationAsync"/> before
/// load balancing sends every request of a client connection to the same destination, and <see cref="ForwardAsync"/>
/// replaces YARP's final forwarding step with one over the client connection's own backend connection. Requests
/// of other clusters pass through untouched.
/// </summary>
internal sealed class PinnedForwarder(IHttpForwarder forwarder, GenerationStore generations, ProxyDestinationStates states)
{
    /// <summary>RFC 9113 7: HTTP_1_1_REQUIRED, which makes a client retry the request over HTTP/1.1.</summary>
    private const int Http11Required = 0xd;

    /// <summary>Requests in flight per destination: YARP's own count is not kept for pinned forwarding (see below).</summary>
    private readonly ConditionalWeakTable<DestinationState, StrongBox<int>> _inFlight = [];

    /// <summary>Requests being forwarded to <paramref name="destination"/> over pinned connections.</summary>
    public int InFlight(DestinationState destination) => _inFlight.TryGetValue(destination, out var count) ? Volatile.Read(ref count.Value) : 0;

    public Task KeepDestinationAsync(HttpContext context, RequestDelegate next)
    {
        if (ProxyRequestPolicy.Of(context, generations).Pinned is null)
        {
            return next(context);
        }

        if (!HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol))
        {
            // One HTTP/2 connection carries many requests at once; an identity bound to it cannot be kept apart.
            if (context.Features.Get<IHttpResetFeature>() is { } reset)
            {
                reset.Reset(Http11Required);
            }
            else
            {
                context.Response.StatusCode = StatusCodes.Status505HttpVersionNotsupported;
            }

            return Task.CompletedTask;
        }

        var feature = context.GetReverseProxyFeature();
        if (PinnedConnection.Of(context) is { DestinationId: { } pinned } connection && connection.ClusterId == feature.Cluster.Config.ClusterId)
        {
            if (states.Get(connection.ClusterId, pinned) == DestinationAdminState.Disabled)
            {
                // Moving the connection elsewhere would send its next request under no identity, mid-handshake perhaps:
                // it is closed after this answer, and the client's next connection is balanced among the others.
                GatewayAnswer.Set(context, "destination-disabled");
                context.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return Task.CompletedTask;
            }

            foreach (var destination in feature.AvailableDestinations)
            {
                if (destination.DestinationId == pinned)
                {
                    // The destination is its own one-item list, which DestinationAdminStateMiddleware reads as bound:
                    // a draining destination keeps the connections pinned to it.
                    feature.AvailableDestinations = destination;
                    break;
                }
            }
        }

        return next(context);
    }

    public Task ForwardAsync(HttpContext context, RequestDelegate next)
    {
        return ProxyRequestPolicy.Of(context, generations).Pinned is null
            ? next(context)
            : ForwardPinnedAsync(context, context.GetReverseProxyFeature());
    }

    private async Task ForwardPinnedAsync(HttpContext context, IReverseProxyFeature feature)
    {
        var destinations = feature.AvailableDestinations;
        var pinned = PinnedConnection.Of(context);
        if (destinations.Count == 0 || pinned is null)
        {
            if (destinations.Count == 0)
            {
                // As the access log says of YARP's own answer when no destination is left.
                GatewayAnswer.Set(context, "no-destination");
            }

            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        // Long polls (ActiveSync) and RPC over HTTP streams trickle or sit idle by design, and an RPC_IN_DATA
        // request declares a body of up to 2 GB: Kestrel's defaults would cut them.
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } requestRate)
        {
            requestRate.MinDataRate = null;
        }

        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } responseRate)
        {
            responseRate.MinDataRate = null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        var destination = destinations[0];
        feature.ProxiedDestination = destination;
        var cluster = feature.Cluster.Config;
        var invoker = pinned.InvokerFor(cluster.ClusterId, destination.DestinationId, cluster.HttpClient);

        // No retry on another connection: a request re-sent elsewhere would run under no identity, or another's.
        // (YARP's per-destination request count is not kept here: its setter is not atomic.)
        var inFlight = _inFlight.GetValue(destination, static _ => new StrongBox<int>());
        Interlocked.Increment(ref inFlight.Value);
        try
        {
            await forwarder.SendAsync(context, destination.Model.Config.Address, invoker,
                cluster.HttpRequest ?? ForwarderRequestConfig.Empty, context.GetRouteModel().Transformer);
        }
        finally
        {
            Interlocked.Decrement(ref inFlight.Value);
        }
    }
}
