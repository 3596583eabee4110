using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Infrastructure;

/// <summary>The start shared by the test backends: a quiet Kestrel on 127.0.0.1:0, over TLS when given a certificate.</summary>
public static class LoopbackKestrel
{
    /// <summary>A builder listening as asked; <c>EndPoint</c> gives the bound address once the app has started.</summary>
    public static (WebApplicationBuilder Builder, Func<IPEndPoint> EndPoint) CreateBuilder(HttpProtocols protocols, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            bound = listen;
            listen.Protocols = protocols;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        return (builder, () => bound?.IPEndPoint ?? throw new InvalidOperationException("The app has not started."));
    }
}
