using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Certificates.Acme;

/// <summary>The self-signed certificate that answers a tls-alpn-01 challenge (RFC 8737 3).</summary>
internal static class TlsAlpnChallengeCertificate
{
    /// <summary>id-pe-acmeIdentifier.</summary>
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    /// <summary>The ALPN protocol a validator offers, and the only one the answer may negotiate.</summary>
    public const string ProtocolName = "acme-tls/1";

    public static readonly SslApplicationProtocol Protocol = new(ProtocolName);

    /// <summary>The extension value: DER OCTET STRING holding SHA-256 of the key authorization (04 20 followed by 32 bytes).</summary>
    public static byte[] ExtensionValue(string keyAuthorization)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(SHA256.HashData(Encoding.UTF8.GetBytes(keyAuthorization)));
        return writer.Encode();
    }

    /// <summary>Exactly one dNSName (the host) and the critical acmeIdentifier extension, as validators require.</summary>
    public static X509Certificate2 Create(string host, string keyAuthorization, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509Extension(new Oid(AcmeIdentifierOid), ExtensionValue(keyAuthorization), critical: true));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
    }
}
