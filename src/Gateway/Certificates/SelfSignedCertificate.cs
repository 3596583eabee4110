using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates;

/// <summary>
/// The certificate served when no configured one matches the SNI, so a first run works with no setup.
/// Generated once and kept on disk (key mode 0600): clients that pinned it on first use keep working
/// across restarts. Regenerated only when missing, unreadable or within 30 days of expiry.
/// </summary>
internal static class SelfSignedCertificate
{
    public const string CertificateFileName = "self-signed.pem";
    public const string KeyFileName = "self-signed.key.pem";

    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(825);
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public static SslStreamCertificateContext LoadOrCreate(string directory, TimeProvider time)
    {
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        if (TryLoad(certificatePath, keyPath, time) is { } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(directory);
        var (certificatePem, keyPem) = Generate(time.GetUtcNow());
        PrivateFile.WriteAtomically(keyPath, keyPem, PrivateFile.OwnerOnly);
        PrivateFile.WriteAtomically(certificatePath, certificatePem, PrivateFile.WorldReadable);
        return PemCertificate.Create(certificatePem, keyPem);
    }

    /// <summary>A fallback that lives only in memory, for dry runs that must not write to disk.</summary>
    public static SslStreamCertificateContext CreateEphemeral(TimeProvider time)
    {
        var (certificatePem, keyPem) = Generate(time.GetUtcNow());
        return PemCertificate.Create(certificatePem, keyPem);
    }

    private static SslStreamCertificateContext? TryLoad(string certificatePath, string keyPath, TimeProvider time)
    {
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }

        try
        {
            var context = PemCertificate.Load(certificatePath, keyPath);
            return context.TargetCertificate.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime > RenewBefore ? context : null;
        }
        // A key that does not match the certificate: instances sharing the folder that started together each wrote
        // one file of their own pair. Regenerated like a missing pair; each instance serves the pair it holds in memory.
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    private static (string Certificate, string Key) Generate(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Gateway self-signed", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (Uri.CheckHostName(Environment.MachineName) == UriHostNameType.Dns)
        {
            names.AddDnsName(Environment.MachineName);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now + Lifetime);
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }
}
