using Gateway.Admin;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Edge;
using Gateway.Limits;
using Gateway.Passthrough;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gateway.Hosting;

/// <summary>Kestrel as the first generation sets it up: limits, and every listener with what it does at the connection level.</summary>
internal static class GatewayKestrel
{
    /// <summary>
    /// From the hand-off to Kestrel (the whole ClientHello is in) to the end of the TLS handshake. Kestrel's default,
    /// set here because docs/configuration.md states it.
    /// </summary>
    private static readonly TimeSpan TlsHandshakeTimeout = TimeSpan.FromSeconds(10);

    public static void Configure(ConfigureWebHostBuilder webHost, Generation initial, TimeProvider time)
    {
        webHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            ApplyHttpLimits(kestrel.Limits, initial.Get<LimitsConfig>().Http);
            var services = kestrel.ApplicationServices;
            var listeners = services.GetRequiredService<GatewayListeners>();
            var config = initial.Get<ListenersConfig>();
            var firstRequest = new FirstRequestDeadline(initial.Get<LimitsConfig>().Http.RequestHeadersTimeout, time,
                services.GetRequiredService<ILogger<FirstRequestDeadline>>());

            // The public listeners' accept loops are the edge's own (PROXY header, limits, ClientHello, tunnels);
            // Kestrel gets the connections to terminate, with the bytes the edge read in front of their input.
            ListenEdge(kestrel, config.Https, ListenerKind.Https, https =>
            {
                listeners.Register(ListenerKind.Https, https);
                https.Protocols = HttpProtocols.Http1AndHttp2;
                var selector = services.GetRequiredService<TlsOptionsSelector>();
                https.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = context => selector.SelectAsync(context.Connection, context.ClientHelloInfo.ServerName),
                    HandshakeTimeout = TlsHandshakeTimeout,
                });

                // A tls-alpn-01 answer is the handshake alone (RFC 8737 3): close instead of speaking HTTP.
                https.Use(next => connection => connection.Items.ContainsKey(TlsOptionsSelector.AcmeChallengeItem) ? Task.CompletedTask : next(connection));
                https.Use(firstRequest.Apply);
            });

            if (config.Http is { } http)
            {
                ListenEdge(kestrel, http, ListenerKind.Http, plain =>
                {
                    listeners.Register(ListenerKind.Http, plain);
                    plain.Protocols = HttpProtocols.Http1;
                    plain.Use(firstRequest.Apply);
                });
            }

            if (initial.Get<AdminConfig>().Listen is { } admin)
            {
                Listen(kestrel, admin, listen =>
                {
                    listeners.Register(ListenerKind.Admin, listen);
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(firstRequest.Apply);
                });
            }

            foreach (var stream in initial.Get<PassthroughConfig>().Streams.Values)
            {
                ListenEdge(kestrel, stream.Listen, ListenerKind.Stream, listen => listeners.RegisterStream(stream.StreamId, listen), stream.StreamId);
            }
        });
    }

    /// <summary>Set deliberately rather than inherited: these are what a slow or hostile HTTP client meets. Read at start.</summary>
    private static void ApplyHttpLimits(KestrelServerLimits limits, HttpLimitsConfig http)
    {
        limits.RequestHeadersTimeout = http.RequestHeadersTimeout;
        limits.KeepAliveTimeout = http.KeepAliveTimeout;
        limits.MaxRequestHeadersTotalSize = http.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = http.MaxRequestHeaderCount;
        limits.MaxRequestLineSize = Math.Min(limits.MaxRequestLineSize, http.MaxRequestHeadersTotalSize);
        limits.MinRequestBodyDataRate = http.MinRequestBodyDataRate == 0 ? null : new MinDataRate(http.MinRequestBodyDataRate, TimeSpan.FromSeconds(5));
        limits.MaxRequestBodySize = http.MaxRequestBodySize;
        limits.Http2.MaxRequestHeaderFieldSize = Math.Min(limits.Http2.MaxRequestHeaderFieldSize, http.MaxRequestHeadersTotalSize);
    }

    /// <summary>A listener the edge accepts itself (<see cref="EdgeListenerFactory"/>); localhost is both loopbacks, as in Kestrel.</summary>
    private static void ListenEdge(KestrelServerOptions kestrel, HostPort address, ListenerKind kind, Action<ListenOptions> configure, string? streamId = null)
    {
        if (address.Address is { } ip)
        {
            kestrel.Listen(new EdgeEndPoint(ip, address.Port, kind, streamId), configure);
            return;
        }

        kestrel.Listen(new EdgeEndPoint(System.Net.IPAddress.Loopback, address.Port, kind, streamId), configure);
        kestrel.Listen(new EdgeEndPoint(System.Net.IPAddress.IPv6Loopback, address.Port, kind, streamId, optional: true), configure);
    }

    private static void Listen(KestrelServerOptions kestrel, HostPort address, Action<ListenOptions> configure)
    {
        if (address.Address is { } ip)
        {
            kestrel.Listen(ip, address.Port, configure);
        }
        else
        {
            kestrel.ListenLocalhost(address.Port, configure);
        }
    }
}
