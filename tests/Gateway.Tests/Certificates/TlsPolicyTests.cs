using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>
/// <c>Gateway:Tls:Policy</c> and <c>CipherSuites</c>, checked from outside with a real scanner (sslscan, which tries every
/// protocol version and every suite its OpenSSL knows, one handshake each): what the L7 listener accepts for an ECDSA
/// and an RSA certificate, the configured ones and the fallback.
/// </summary>
public sealed class TlsPolicyTests
{
    private const string EcdsaHost = "app.test";
    private const string RsaHost = "rsa.test";

    // Mozilla's intermediate TLS 1.2 suites by certificate type. The DHE ones are not among them: .NET configures no
    // Diffie-Hellman parameters, so OpenSSL never negotiates them.
    private static readonly string[] Tls13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
    private static readonly string[] IntermediateEcdsa = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"];
    private static readonly string[] IntermediateRsa = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"];

    [Fact]
    public async Task The_default_is_mozilla_intermediate_no_cbc_suite_and_nothing_below_tls_12()
    {
        await using var gateway = await TestGateway.StartAsync(Tls(new JsonObject()));

        var ecdsa = await ScanAsync(gateway.Https, EcdsaHost);
        Assert.Equal(["1.2", "1.3"], ecdsa.Protocols);
        Assert.Equal([.. IntermediateEcdsa, .. Tls13], ecdsa.Suites);

        var rsa = await ScanAsync(gateway.Https, RsaHost);
        Assert.Equal(["1.2", "1.3"], rsa.Protocols);
        Assert.Equal([.. IntermediateRsa, .. Tls13], rsa.Suites);

        // The self-signed fallback, for a name nothing else covers, gets the same.
        var fallback = await ScanAsync(gateway.Https, "unknown.test");
        Assert.Equal(ecdsa.Protocols, fallback.Protocols);
        Assert.DoesNotContain(fallback.Suites, s => s.Contains("-SHA", StringComparison.Ordinal) && !s.Contains("GCM", StringComparison.Ordinal) && !s.Contains("CHACHA", StringComparison.Ordinal));
        Assert.NotEmpty(fallback.Suites);
    }

    [Fact]
    public async Task Modern_is_tls_13_only()
    {
        await using var gateway = await TestGateway.StartAsync(Tls(new JsonObject { ["Policy"] = "Modern" }));

        foreach (var host in new[] { EcdsaHost, RsaHost })
        {
            var scan = await ScanAsync(gateway.Https, host);
            Assert.Equal(["1.3"], scan.Protocols);
            Assert.Equal(Tls13, scan.Suites);
        }
    }

    [Fact]
    public async Task Platform_offers_what_dotnet_and_openssl_choose_cbc_included()
    {
        await using var gateway = await TestGateway.StartAsync(Tls(new JsonObject { ["Policy"] = "Platform" }));

        var scan = await ScanAsync(gateway.Https, EcdsaHost);
        Assert.Equal(["1.2", "1.3"], scan.Protocols);
        Assert.Contains("ECDHE-ECDSA-AES256-SHA384", scan.Suites);
    }

    [Fact]
    public async Task An_explicit_list_is_exactly_what_is_offered_in_either_spelling_and_a_reload_changes_it()
    {
        var tls = Tls(new JsonObject { ["CipherSuites"] = new JsonArray("ECDHE-ECDSA-AES256-GCM-SHA384", "tls_ecdhe_rsa_with_aes_128_gcm_sha256", "TLS_AES_256_GCM_SHA384") });
        await using var gateway = await TestGateway.StartAsync(tls);

        Assert.Equal(["ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384"], (await ScanAsync(gateway.Https, EcdsaHost)).Suites);
        Assert.Equal(["ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"], (await ScanAsync(gateway.Https, RsaHost)).Suites);

        // nginx's spelling, one string; TLS 1.2 only since it lists no TLS 1.3 suite. Applied on reload, no restart.
        tls["Tls"]!["CipherSuites"] = "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
        await gateway.WriteConfigAsync(tls, null);
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the edit is applied");

        var scan = await ScanAsync(gateway.Https, EcdsaHost);
        Assert.Equal(["1.2"], scan.Protocols);
        Assert.Equal(["ECDHE-ECDSA-CHACHA20-POLY1305"], scan.Suites);
    }

    private static JsonObject Tls(JsonObject tls)
    {
        var ecdsa = TestCertificates.Get(EcdsaHost);
        var rsa = RsaCertificate(RsaHost);
        tls["Certificates"] = new JsonObject
        {
            [EcdsaHost] = new JsonObject { ["CertificatePath"] = ecdsa.CertificatePath, ["KeyPath"] = ecdsa.KeyPath },
            [RsaHost] = new JsonObject { ["CertificatePath"] = rsa.CertificatePath, ["KeyPath"] = rsa.KeyPath },
        };
        return new JsonObject { ["Tls"] = tls };
    }

    private static (string CertificatePath, string KeyPath) RsaCertificate(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var directory = Directory.CreateTempSubdirectory("gateway-rsa-").FullName;
        var certificatePath = Path.Combine(directory, "cert.pem");
        var keyPath = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    /// <summary>The protocol versions and suites the listener accepts for <paramref name="sni"/>, suites sorted by version then name.</summary>
    private static async Task<(List<string> Protocols, List<string> Suites)> ScanAsync(IPEndPoint endpoint, string sni)
    {
        var start = new ProcessStartInfo("sslscan") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--xml=-", "--no-colour", "--sni-name=" + sni, "--no-heartbleed", "--no-renegotiation", "--no-compression", "--no-fallback", "--no-groups", "--no-check-certificate", endpoint.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("sslscan did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException("sslscan did not finish within 120 s");
        }

        var output = await stdout;
        var test = XDocument.Parse(output).Descendants("ssltest").SingleOrDefault();
        Assert.True(test is not null, $"sslscan reported no test:\n{output}\n{await stderr}");
        var protocols = test.Elements("protocol").Where(p => (string?)p.Attribute("enabled") == "1").Select(p => (string)p.Attribute("type")! == "tls" ? (string)p.Attribute("version")! : "ssl" + (string)p.Attribute("version")!).ToList();
        var suites = test.Elements("cipher").Where(c => (string?)c.Attribute("status") is "accepted" or "preferred")
            .OrderBy(c => (string)c.Attribute("sslversion")!, StringComparer.Ordinal).ThenBy(c => (string)c.Attribute("cipher")!, StringComparer.Ordinal)
            .Select(c => (string)c.Attribute("cipher")!).ToList();
        return (protocols, suites);
    }
}
