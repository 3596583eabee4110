using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>A certificate file serves every name of its SAN list, and --check says when one does not fit its host or is near its end.</summary>
public sealed class CertificateNamesTests
{
    [Fact]
    public async Task A_file_serves_every_name_in_its_san_list_whatever_host_it_is_configured_under()
    {
        var (multi, multiThumbprint) = Write(["app.test", "app2.test", "*.wild.test"], TimeSpan.FromDays(30));
        var (own, ownThumbprint) = Write(["app2.test"], TimeSpan.FromDays(30));
        await using var gateway = await TestGateway.StartAsync(new JsonObject
        {
            ["Tls"] = new JsonObject
            {
                ["Certificates"] = new JsonObject
                {
                    ["app.test"] = Entry(multi),
                    ["own.test"] = Entry(own), // configured for another name, but its SAN says app2.test: the configured key of a host wins
                },
            },
        });

        Assert.Equal(multiThumbprint, await ServedAsync(gateway.Https, "app.test"));
        Assert.Equal(multiThumbprint, await ServedAsync(gateway.Https, "APP.test"));
        Assert.Equal(multiThumbprint, await ServedAsync(gateway.Https, "a.wild.test"));
        Assert.Equal(multiThumbprint, await ServedAsync(gateway.Https, "app2.test")); // the first file listed that covers it
        Assert.Equal(ownThumbprint, await ServedAsync(gateway.Https, "own.test"));
        var fallback = await ServedAsync(gateway.Https, "other.test");
        Assert.NotEqual(multiThumbprint, fallback);
    }

    [Fact]
    public async Task Check_warns_for_a_host_its_certificate_does_not_cover_and_for_one_expired_or_expiring_soon()
    {
        var (wrong, _) = Write(["app.test"], TimeSpan.FromDays(30));
        var (soon, _) = Write(["soon.test"], TimeSpan.FromDays(5));
        var (expired, _) = Write(["old.test"], TimeSpan.FromDays(-1));
        var (wildcard, _) = Write(["*.wild.test"], TimeSpan.FromDays(30));
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-check-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(
            new JsonObject
            {
                ["Tls"] = new JsonObject
                {
                    ["Certificates"] = new JsonObject
                    {
                        ["mismatch.test"] = Entry(wrong),
                        ["soon.test"] = Entry(soon),
                        ["old.test"] = Entry(expired),
                        ["x.wild.test"] = Entry(wildcard),
                    },
                },
            },
            null));

        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(0, exitCode);
        Assert.Equal($"{file}: ok", lines[^1]);
        var warnings = lines[..^1];
        Assert.Equal(3, warnings.Length);
        Assert.Contains(warnings, w => w.StartsWith("warning: Gateway:Tls:Certificates:mismatch.test: ", StringComparison.Ordinal) && w.Contains("does not cover mismatch.test (it covers: app.test)", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("warning: Gateway:Tls:Certificates:soon.test: ", StringComparison.Ordinal) && w.Contains("expires on", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("warning: Gateway:Tls:Certificates:old.test: ", StringComparison.Ordinal) && w.Contains("expired on", StringComparison.Ordinal));
    }

    private static JsonObject Entry((string Certificate, string Key) files) => new() { ["CertificatePath"] = files.Certificate, ["KeyPath"] = files.Key };

    private static ((string Certificate, string Key) Files, string Thumbprint) Write(string[] dnsNames, TimeSpan validFor)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsNames[0], key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        var notAfter = DateTimeOffset.UtcNow + validFor;
        using var certificate = request.CreateSelfSigned(notAfter.AddDays(-60), notAfter);
        var directory = Directory.CreateTempSubdirectory("gateway-san-").FullName;
        var certificatePath = Path.Combine(directory, "cert.pem");
        var keyPath = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return ((certificatePath, keyPath), certificate.Thumbprint);
    }

    private static async Task<string> ServedAsync(IPEndPoint gateway, string sni)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(gateway);
        string? thumbprint = null;
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = sni,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    thumbprint = certificate?.GetCertHashString();
                    return true;
                },
            },
            timeout.Token);
        return thumbprint!;
    }
}
