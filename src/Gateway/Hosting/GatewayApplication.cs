using Gateway.Balancing;
using Gateway.Certificates;
using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Sni;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gateway.Hosting;

/// <summary>Builds the whole gateway: configuration, services, listeners and the HTTP pipeline.</summary>
internal static class GatewayApplication
{
    /// <exception cref="ConfigValidationException">The configuration cannot be used; every problem is listed.</exception>
    /// <exception cref="ArgumentException">Bad command line.</exception>
    /// <exception cref="FileNotFoundException">The config file does not exist.</exception>
    public static WebApplication Build(string[] args, TimeProvider? time = null)
    {
        var (configFile, rest) = CommandLine.ExtractConfigFile(args);
        if (!File.Exists(configFile))
        {
            throw new FileNotFoundException($"The config file '{configFile}' does not exist (pass another with --config FILE).", configFile);
        }

        var baseDirectory = Path.GetDirectoryName(configFile)!;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = rest, ContentRootPath = baseDirectory });

        // One file, then the standard overrides: Gateway__Listeners__Https=..., --Gateway:Listeners:Https=...
        builder.Configuration.Sources.Clear();
        builder.Configuration
            .AddJsonFile(configFile, optional: false, reloadOnChange: true)
            .AddEnvironmentVariables()
            .AddCommandLine(rest);

        time ??= TimeProvider.System;
        var snapshot = LoadSnapshot(builder.Configuration, baseDirectory, time);

        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(new GatewaySnapshotStore(snapshot));
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<GatewayListeners>();
        builder.Services.AddSingleton<IDestinationSelector, FirstDestinationSelector>();
        builder.Services.AddSingleton<TunnelHandler>();
        builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            var services = kestrel.ApplicationServices;
            var listeners = services.GetRequiredService<GatewayListeners>();
            var config = snapshot.Config.Listeners;

            Listen(kestrel, config.Https, https =>
            {
                listeners.Register(ListenerKind.Https, https);
                https.Protocols = HttpProtocols.Http1AndHttp2;
                https.Use(next => ActivatorUtilities.CreateInstance<ClientHelloRouter>(services, next).OnConnectionAsync);
                var store = services.GetRequiredService<GatewaySnapshotStore>();
                https.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // The router's SNI, not SslStream's: SslStream reads only the first TLS record, so a
                    // ClientHello fragmented across records would otherwise get the fallback certificate.
                    OnConnection = context => ValueTask.FromResult(store.Current.Certificates.Select(
                        context.Connection.Items.TryGetValue(ClientHelloRouter.ClientHelloItem, out var hello) && hello is ClientHelloInfo info
                            ? info.ServerName
                            : context.ClientHelloInfo.ServerName)),
                });
            });

            if (config.Http is { } http)
            {
                Listen(kestrel, http, plain =>
                {
                    listeners.Register(ListenerKind.Http, plain);
                    plain.Protocols = HttpProtocols.Http1;
                });
            }
        });

        var app = builder.Build();
        app.UseMiddleware<HttpsRedirectMiddleware>();
        app.UseRouting();
        app.MapReverseProxy();
        return app;
    }

    private static GatewaySnapshot LoadSnapshot(IConfiguration configuration, string baseDirectory, TimeProvider time)
    {
        var errors = new ConfigErrors();
        var config = GatewayConfigLoader.Load(configuration, baseDirectory, errors);
        if (config is not null)
        {
            try
            {
                var fallback = SelfSignedCertificate.LoadOrCreate(config.CertificatesPath, time);
                var certificates = CertificateSet.Load(config.Tls, fallback, errors);
                if (!errors.Any)
                {
                    return new GatewaySnapshot(1, config, certificates);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add("Gateway:Certificates:Path", $"cannot keep the self-signed certificate in '{config.CertificatesPath}': {e.Message}");
            }
        }

        throw new ConfigValidationException(errors.All);
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
