using Gateway.Access;
using Gateway.Admin;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Edge;
using Gateway.Limits;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;
using Gateway.Reload;
using Gateway.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Console;

namespace Gateway.Hosting;

/// <summary>Builds the whole gateway: configuration, services, listeners and the HTTP pipeline.</summary>
internal static class GatewayApplication
{
    /// <summary>
    /// From the hand-off to Kestrel (the whole ClientHello is in) to the end of the TLS handshake. Kestrel's default,
    /// set here because docs/configuration.md states it.
    /// </summary>
    private static readonly TimeSpan TlsHandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="ConfigValidationException">The configuration cannot be used; every problem is listed.</exception>
    /// <exception cref="CommandLineException">Bad command line.</exception>
    /// <exception cref="FileNotFoundException">The config file does not exist.</exception>
    /// <exception cref="ArgumentException"><c>GATEWAY_SOCKET_ENGINE</c> names no engine this machine has.</exception>
    /// <param name="logger">An extra log destination (tests read what the gateway logs).</param>
    /// <param name="sockets">The edge's socket engine; by default the one <c>GATEWAY_SOCKET_ENGINE</c> names.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, TimeProvider? time = null, ILoggerProvider? logger = null, SocketEngine? sockets = null)
    {
        var commandLine = CommandLine.Parse(args);
        if (!File.Exists(commandLine.ConfigFile))
        {
            throw new FileNotFoundException($"The config file '{commandLine.ConfigFile}' does not exist (pass another with --config FILE).", commandLine.ConfigFile);
        }

        time ??= TimeProvider.System;
        var factory = new GenerationFactory(GatewayFeatures.Create(time));
        var location = commandLine.Location;
        var (configuration, result) = await factory.BuildAsync(location, number: 1);
        var initial = result.Generation ?? throw new ConfigValidationException(result.Errors);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = commandLine.Remaining, ContentRootPath = commandLine.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration!);

        // Under systemd (Type=notify): ready is signalled once the listeners are bound, logs go to the journal with levels.
        builder.Host.UseSystemd();
        builder.WebHost.UseSockets(InlineIo.Configure);

        // Connection logs are written from the I/O threads: a slow journal must cost log lines (the console logger
        // reports how many it dropped), never stall every socket behind a full queue.
        builder.Services.Configure<ConsoleLoggerOptions>(options => options.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite);
        if (logger is not null)
        {
            builder.Logging.AddProvider(logger);
        }

        // ASP.NET Core starts an Activity for every request while its hosting category logs at any level, and
        // HttpClient then sends the backend a traceparent of a span that no tracer records, in place of the client's.
        // Without the span, a client's trace context passes through unchanged, and L7 keep-alive is faster (measured in
        // docs/benchmarks.md). The rule goes first, so a level for this category in the Logging section still wins.
        builder.Services.Configure<LoggerFilterOptions>(options =>
            options.Rules.Insert(0, new LoggerFilterRule(null, "Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None, null)));

        builder.Services.AddSingleton(sockets ?? SocketEngines.FromEnvironment());
        GatewayServices.Add(builder.Services, time, location, factory, initial);

        builder.WebHost.ConfigureKestrel(kestrel =>
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
                    OnConnection = context => ValueTask.FromResult(selector.Select(context.Connection, context.ClientHelloInfo.ServerName)),
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

        var app = builder.Build();
        GatewayServices.Start(app.Services);
        Preload.Run();

        // The connection limit derived from the open-files limit counts what the started process holds (listeners,
        // Kestrel's threads, loaded assemblies).
        var descriptors = app.Services.GetRequiredService<DescriptorBudget>();
        var limiter = app.Services.GetRequiredService<ConnectionLimiter>();
        var snapshots = app.Services.GetRequiredService<GenerationStore>();
        app.Lifetime.ApplicationStarted.Register(() => descriptors.Started(snapshots.Current, limiter.Open));

        app.UseMiddleware<FirstRequestMiddleware>();
        app.MapWhen(context => context.Listener() == ListenerKind.Admin, AdminEndpoints.Configure);
        app.UseMiddleware<AcmeHttpChallengeMiddleware>();
        app.UseMiddleware<RedirectHostsMiddleware>();
        app.UseMiddleware<HttpsRedirectMiddleware>();
        app.UseMiddleware<MisdirectedRequestMiddleware>();
        app.UseRouting();
        app.UseMiddleware<PathSpellingMiddleware>(RouteMatcher.Create(app));
        app.UseMiddleware<DefaultSiteMiddleware>();
        var recorder = app.Services.GetRequiredService<ProxyRequestRecorder>();
        var plainHttp = app.Services.GetRequiredService<PlainHttpGuard>();
        var errorPages = app.Services.GetRequiredService<ErrorPages>();
        var routeAccess = app.Services.GetRequiredService<RouteAccess>();
        var pathRules = app.Services.GetRequiredService<PathRules>();
        var ntlmGuard = app.Services.GetRequiredService<NtlmGuard>();
        var pinned = app.Services.GetRequiredService<PinnedForwarder>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(plainHttp.InvokeAsync);
            proxy.Use(recorder.InvokeAsync);
            proxy.Use(errorPages.InvokeAsync);
            proxy.Use(routeAccess.CheckAsync);
            proxy.Use(pathRules.CheckAsync);
            proxy.Use(ntlmGuard.CheckRequestAsync);
            proxy.Use(pinned.KeepDestinationAsync);
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
            // Last: for connection-pinned clusters this is the forwarding step; others go on to YARP's.
            proxy.Use(pinned.ForwardAsync);
        });
        return app;
    }

    /// <summary><c>--check</c>: validates everything a start would, writes the verdict, starts nothing, writes nothing to disk.</summary>
    /// <returns><see cref="ExitCodes.Ok"/> when the configuration is usable, <see cref="ExitCodes.Invalid"/> when it is not.</returns>
    public static async Task<int> CheckAsync(string[] args, TextWriter output)
    {
        var commandLine = CommandLine.Parse(args);
        var factory = new GenerationFactory(GatewayFeatures.Create(TimeProvider.System));
        var (_, result) = await factory.BuildAsync(commandLine.Location, number: 1, dryRun: true);
        if (result.Errors.Count == 0)
        {
            await output.WriteLineAsync($"{commandLine.ConfigFile}: ok");
            return ExitCodes.Ok;
        }

        foreach (var problem in result.Errors)
        {
            await output.WriteLineAsync(problem.ToString());
        }

        return ExitCodes.Invalid;
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
