using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Infrastructure;

/// <summary>Certificates generated at test time, one per subject, with PEM files for the gateway's config.</summary>
public static class TestCertificates
{
    private static readonly ConcurrentDictionary<string, TestCertificate> Cache = new();

    public static TestCertificate Get(string name) => Cache.GetOrAdd(name, Create);

    private static TestCertificate Create(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certificatePem = generated.ExportCertificatePem();
        var keyPem = key.ExportPkcs8PrivateKeyPem();

        var directory = Directory.CreateTempSubdirectory("gateway-cert-").FullName;
        var certificatePath = Path.Combine(directory, "cert.pem");
        var keyPath = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificatePath, certificatePem);
        File.WriteAllText(keyPath, keyPem);
        return new TestCertificate(X509Certificate2.CreateFromPem(certificatePem, keyPem), certificatePath, keyPath);
    }
}

public sealed record TestCertificate(X509Certificate2 Certificate, string CertificatePath, string KeyPath)
{
    public string Thumbprint => Certificate.Thumbprint;
}
