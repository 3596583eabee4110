using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Edge;

/// <summary>How a connection the edge terminates (Kestrel's, on the edge's loop) ends, seen from the client and the log.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TerminatedConnectionTests
{
    private const string AppHost = "app.test";

    [Fact]
    public async Task A_client_that_resets_in_the_middle_of_a_large_answer_is_not_an_error()
    {
        await using var app = await TestBackend.StartAsync("app");
        var certificate = TestCertificates.Get(AppHost);
        var gatewaySection = new JsonObject
        {
            ["Tls"] = new JsonObject
            {
                ["Certificates"] = new JsonObject
                {
                    [AppHost] = new JsonObject { ["CertificatePath"] = certificate.CertificatePath, ["KeyPath"] = certificate.KeyPath },
                },
            },
        };
        var reverseProxy = new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } } },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
            },
        };
        var directory = Directory.CreateTempSubdirectory("gateway-reset-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(gatewaySection, reverseProxy));
        var logs = new CapturedLogs();
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        using var active = new CounterProbe(gateway, "kestrel.active_connections");

        for (var i = 0; i < 3; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(gateway.Https);
            await using (var tls = new SslStream(new NetworkStream(socket, ownsSocket: false)))
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = AppHost,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                });
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /big?bytes={256 * 1024 * 1024} HTTP/1.1\r\nHost: {AppHost}\r\n\r\n"));
                var buffer = new byte[64 * 1024];
                for (long read = 0; read < 1024 * 1024;)
                {
                    var count = await tls.ReadAsync(buffer);
                    Assert.NotEqual(0, count);
                    read += count;
                }

                // A reset, with the rest of the answer still on its way.
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }
        }

        await Poll.UntilAsync(() => active.Total == 0, "Kestrel is done with the reset connections", TimeSpan.FromSeconds(10));
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}"));
    }
}
