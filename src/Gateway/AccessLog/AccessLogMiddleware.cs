using Gateway.Core;
using Gateway.Proxy;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.AccessLog;

/// <summary>One access-log line per request on the public listeners, formatted when the request is done.</summary>
internal sealed class AccessLogMiddleware(RequestDelegate next, AccessLogWriter writer)
{
    /// <remarks>With the log off, requests pass through without a state machine of this step's own (an allocation per request).</remarks>
    public Task InvokeAsync(HttpContext context) => writer.Enabled ? LogAsync(context) : next(context);

    private async Task LogAsync(HttpContext context)
    {
        var time = writer.Time;
        var at = time.GetUtcNow();
        var started = time.GetTimestamp();
        var backend = BackendTiming.Watch(context);
        try
        {
            await next(context);
        }
        finally
        {
            writer.Write(Entry(context, at, started, backend, time));
        }
    }

    private static AccessLogEntry Entry(HttpContext context, DateTimeOffset at, long started, BackendTiming backend, TimeProvider time)
    {
        var request = context.Request;
        var proxy = context.Features.Get<IReverseProxyFeature>();
        var hello = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ClientHelloInfo.ItemKey, out var item) == true ? item as ClientHelloInfo : null;
        var connection = context.Connection;
        return new AccessLogEntry
        {
            Time = at,
            ClientAddress = connection.RemoteIpAddress,
            ClientPort = connection.RemotePort,
            Sni = hello?.ServerName,
            Host = request.Host.Value,
            Method = request.Method,
            Target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value + request.QueryString.Value,
            Protocol = request.Protocol,
            Status = context.Response.StatusCode,
            BytesIn = request.ContentLength,
            BytesOut = context.Response.ContentLength,
            Duration = time.GetElapsedTime(started),
            BackendTime = backend.AnsweredAt is { } answered ? time.GetElapsedTime(started, answered) : null,
            Route = proxy?.Route.Config.RouteId,
            Cluster = proxy?.Cluster?.Config.ClusterId,
            Destination = proxy?.ProxiedDestination?.DestinationId,
            Tls = context.Features.Get<ITlsHandshakeFeature>()?.Protocol.ToString(),
            UserAgent = request.Headers.UserAgent,
            Referer = request.Headers.Referer,
            Answered = GatewayAnswer.Get(context) ?? Forwarding(context),
        };
    }

    /// <summary>YARP's reason when it answered itself: no destination available, the backend unreachable or too slow...</summary>
    private static string? Forwarding(HttpContext context) => context.Features.Get<IForwarderErrorFeature>()?.Error switch
    {
        null or ForwarderError.None => null,
        ForwarderError.NoAvailableDestinations => "no-destination",
        ForwarderError.RequestTimedOut => "backend-timeout",
        ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.ResponseBodyCanceled => "client-canceled",
        ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient => "client-error",
        _ => "backend-error",
    };
}
