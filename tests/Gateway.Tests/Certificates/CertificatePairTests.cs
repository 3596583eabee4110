using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>A certificate file with a key that is not its own is one error with its path, whatever the key type, and hides no other error.</summary>
public sealed class CertificatePairTests
{
    [Fact]
    public async Task Every_key_of_another_certificate_is_an_error_with_its_path_beside_the_files_other_errors()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-pair-").FullName;
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherP256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        using var otherRsa = RSA.Create(2048);
        var certificates = new JsonObject
        {
            ["ec.test"] = Pair(folder, "ec", new CertificateRequest("CN=ec.test", p256, HashAlgorithmName.SHA256), otherP256.ExportPkcs8PrivateKeyPem()),
            ["curves.test"] = Pair(folder, "curves", new CertificateRequest("CN=curves.test", p384, HashAlgorithmName.SHA384), otherP256.ExportPkcs8PrivateKeyPem()),
            ["rsa.test"] = Pair(folder, "rsa", new CertificateRequest("CN=rsa.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), otherRsa.ExportPkcs8PrivateKeyPem()),
            ["rsa-ec.test"] = Pair(folder, "rsa-ec", new CertificateRequest("CN=rsa-ec.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), p256.ExportPkcs8PrivateKeyPem()),
            ["encrypted.test"] = Pair(folder, "encrypted", new CertificateRequest("CN=encrypted.test", p256, HashAlgorithmName.SHA256),
                p256.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000))),
        };
        var file = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(
            new JsonObject { ["ClientHello"] = new JsonObject { ["MaxBytes"] = "lots" }, ["Tls"] = new JsonObject { ["Certificates"] = certificates } },
            null));

        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);

        var text = output.ToString();
        Assert.True(exitCode == 2, text);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.Contains("Gateway:ClientHello:MaxBytes: 'lots' is not a whole number", text, StringComparison.Ordinal);
        foreach (var host in new[] { "ec.test", "curves.test", "rsa.test", "rsa-ec.test", "encrypted.test" })
        {
            Assert.Contains($"Gateway:Tls:Certificates:{host}: '{Path.Combine(folder, host.Replace(".test", "", StringComparison.Ordinal))}.pem' with key ", text, StringComparison.Ordinal);
        }

        Assert.Equal(6, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static JsonObject Pair(string folder, string name, CertificateRequest request, string keyPem)
    {
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60));
        File.WriteAllText(Path.Combine(folder, name + ".pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, name + ".key.pem"), keyPem);
        return new JsonObject { ["CertificatePath"] = name + ".pem", ["KeyPath"] = name + ".key.pem" };
    }
}
