using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>
/// <c>Tls:AllowResumption</c>, checked with OpenSSL's own client: a session kept from one connection is resumed on the
/// next only when resumption is on, over TLS 1.2 (session id or ticket) and TLS 1.3 (ticket).
/// </summary>
public sealed class TlsResumptionTests
{
    private const string Host = "app.test";

    [Theory]
    [InlineData(false, "-tls1_2")]
    [InlineData(false, "-tls1_3")]
    [InlineData(true, "-tls1_2")]
    [InlineData(true, "-tls1_3")]
    public async Task A_kept_session_is_resumed_only_when_resumption_is_allowed(bool allowResumption, string protocol)
    {
        var certificate = TestCertificates.Get(Host);
        await using var gateway = await TestGateway.StartAsync(new JsonObject
        {
            ["Tls"] = new JsonObject
            {
                ["AllowResumption"] = allowResumption,

                // Resumption needs OpenSSL's own suite list: with one of Gateway's, .NET keeps no session.
                ["Policy"] = "Platform",
                ["Certificates"] = new JsonObject
                {
                    [Host] = new JsonObject { ["CertificatePath"] = certificate.CertificatePath, ["KeyPath"] = certificate.KeyPath },
                },
            },
        });
        var session = Path.Combine(gateway.Directory, "client-session.pem");

        var first = await ConnectAsync(gateway.Https, protocol, "-sess_out", session);
        Assert.False(first.Resumed, first.Output);

        // Without resumption a TLS 1.2 server hands out no session id and no ticket, so OpenSSL has nothing to keep.
        var resumed = File.Exists(session) && (await ConnectAsync(gateway.Https, protocol, "-sess_in", session)).Resumed;
        Assert.Equal(allowResumption, resumed);
    }

    /// <summary>One connection: handshake, a request, and the answer read to the server's close.</summary>
    private static async Task<(bool Resumed, string Output)> ConnectAsync(IPEndPoint gateway, string protocol, string sessionOption, string sessionFile)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "s_client", "-connect", gateway.ToString(), "-servername", Host, protocol, sessionOption, sessionFile, "-ign_eof" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync($"GET / HTTP/1.1\r\nHost: {Host}\r\nConnection: close\r\n\r\n");
        process.StandardInput.Close(); // -ign_eof: the client still reads until the server closes

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("openssl s_client did not finish within 15 s");
        }

        var output = await stdout + await stderr;
        var summary = output.Split('\n').FirstOrDefault(line => line.StartsWith("New, ", StringComparison.Ordinal) || line.StartsWith("Reused, ", StringComparison.Ordinal));
        Assert.True(summary is not null, $"no handshake summary from openssl:\n{output}");
        Assert.Contains(protocol == "-tls1_3" ? ", TLSv1.3," : ", TLSv1.2,", summary, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 ", output, StringComparison.Ordinal); // the connection carried a request to the end
        return (summary.StartsWith("Reused", StringComparison.Ordinal), output);
    }
}
