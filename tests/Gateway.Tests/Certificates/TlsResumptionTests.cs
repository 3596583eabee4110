using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Certificates;

/// <summary>
/// <c>Tls:AllowResumption</c>, checked with OpenSSL's own client: a session kept from one connection is resumed on the
/// next when resumption is on (the default, with every policy) and not when it is off, over TLS 1.2 (session id or
/// ticket) and TLS 1.3 (ticket); and the keys that encrypt tickets change every 12 hours.
/// </summary>
public sealed class TlsResumptionTests
{
    private const string Host = "app.test";

    [Theory]
    [InlineData(null, null, "-tls1_2")]
    [InlineData(null, null, "-tls1_3")]
    [InlineData(false, null, "-tls1_2")]
    [InlineData(false, null, "-tls1_3")]
    [InlineData(true, "Platform", "-tls1_2")]
    [InlineData(null, "Modern", "-tls1_3")]
    public async Task A_kept_session_is_resumed_unless_resumption_is_off(bool? allowResumption, string? policy, string protocol)
    {
        await using var gateway = await TestGateway.StartAsync(Tls(allowResumption, policy));
        var session = Path.Combine(gateway.Directory, "client-session.pem");

        var first = await ConnectAsync(gateway.Https, protocol, "-sess_out", session);
        Assert.False(first.Resumed, first.Output);

        // Without resumption a TLS 1.2 server hands out no session id and no ticket, so OpenSSL has nothing to keep.
        var resumed = File.Exists(session) && (await ConnectAsync(gateway.Https, protocol, "-sess_in", session)).Resumed;
        Assert.Equal(allowResumption ?? true, resumed);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task Ticket_keys_change_every_12_hours_so_a_session_older_than_its_key_is_not_resumed(string protocol)
    {
        // A minute into a 12-hour key period (periods start at midnight and noon UTC).
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 1, 0, TimeSpan.Zero));
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(Tls(null, null), null));
        await using var gateway = await TestGateway.StartInAsync(directory, clock);
        var session = Path.Combine(directory, "client-session.pem");
        var later = Path.Combine(directory, "later-session.pem");

        Assert.False((await ConnectAsync(gateway.Https, protocol, "-sess_out", session)).Resumed);
        clock.Advance(TimeSpan.FromHours(11));
        var within = await ConnectAsync(gateway.Https, protocol, "-sess_in", session);
        Assert.True(within.Resumed, "resumed within the key's period:\n" + within.Output);

        // Past noon: the ticket's key is gone, so the session is not resumed; the new one is.
        clock.Advance(TimeSpan.FromHours(1));
        var after = await ConnectAsync(gateway.Https, protocol, "-sess_in", session, "-sess_out", later);
        Assert.False(after.Resumed, after.Output);
        Assert.True((await ConnectAsync(gateway.Https, protocol, "-sess_in", later)).Resumed, "a session of the new key is resumed");
    }

    [Fact]
    public async Task A_tls_12_client_preferring_cbc_gets_gcm_and_one_offering_only_chacha20_gets_it_from_the_intermediate_list()
    {
        await using var gateway = await TestGateway.StartAsync(Tls(null, null));
        var session = Path.Combine(gateway.Directory, "client-session.pem");

        var preferringCbc = await ConnectAsync(gateway.Https, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256", "-sess_out", session);
        Assert.Contains("AES128-GCM-SHA256", preferringCbc.Output, StringComparison.Ordinal);
        Assert.True((await ConnectAsync(gateway.Https, "-tls1_2", "-sess_in", session)).Resumed, "a GCM session is resumed");

        var chacha = await ConnectAsync(gateway.Https, "-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
        Assert.Contains("CHACHA20-POLY1305", chacha.Output, StringComparison.Ordinal);
    }

    private static JsonObject Tls(bool? allowResumption, string? policy)
    {
        var certificate = TestCertificates.Get(Host);
        var tls = new JsonObject
        {
            ["Certificates"] = new JsonObject
            {
                [Host] = new JsonObject { ["CertificatePath"] = certificate.CertificatePath, ["KeyPath"] = certificate.KeyPath },
            },
        };
        if (allowResumption is { } allow)
        {
            tls["AllowResumption"] = allow;
        }

        if (policy is not null)
        {
            tls["Policy"] = policy;
        }

        return new JsonObject { ["Tls"] = tls };
    }

    /// <summary>One connection: handshake, a request, and the answer read to the server's close.</summary>
    private static async Task<(bool Resumed, string Output)> ConnectAsync(IPEndPoint gateway, string protocol, params string[] options)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["s_client", "-connect", gateway.ToString(), "-servername", Host, protocol, .. options, "-ign_eof"])
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
