using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Gateway.Certificates.Acme;

namespace Gateway.Tests.Certificates;

public sealed class AcmeJwsTests
{
    [Fact]
    public void The_thumbprint_matches_the_rfc_7638_example()
    {
        // RFC 7638 3.1: the canonical JWK of the RSA key from RFC 7517 A.1 and its SHA-256 thumbprint.
        const string Jwk = "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw\"}";

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", AcmeJws.Thumbprint(Jwk));
    }

    [Fact]
    public void The_jwk_is_canonical_with_the_key_coordinates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var point = key.ExportParameters(false).Q;

        var jwk = AcmeJws.Jwk(key);

        // RFC 7638 3.2: required members only, lexicographic order, no whitespace.
        Assert.Equal($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(point.X)}\",\"y\":\"{Base64Url.EncodeToString(point.Y)}\"}}", jwk);
        Assert.Equal(43, JsonDocument.Parse(jwk).RootElement.GetProperty("x").GetString()!.Length);
    }

    [Fact]
    public void The_key_authorization_is_the_token_and_the_account_thumbprint()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var keyAuthorization = AcmeJws.KeyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA", key);

        Assert.Equal("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + AcmeJws.Thumbprint(AcmeJws.Jwk(key)), keyAuthorization);
    }

    [Theory]
    [InlineData(null, "{\"identifiers\":[]}")]
    [InlineData("https://ca.test/acct/7", "{\"identifiers\":[]}")]
    [InlineData("https://ca.test/acct/7", null)]
    public void A_request_is_a_flattened_jws_that_verifies_with_the_account_key(string? keyId, string? payload)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var url = new Uri("https://ca.test/new-order");

        var body = JsonDocument.Parse(AcmeJws.Sign(key, keyId, "nonce-1", url, payload is null ? null : Encoding.UTF8.GetBytes(payload))).RootElement;

        var protectedPart = body.GetProperty("protected").GetString()!;
        var payloadPart = body.GetProperty("payload").GetString()!;
        var signature = Base64Url.DecodeFromChars(body.GetProperty("signature").GetString()!);
        Assert.Equal(64, signature.Length);
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256));

        // Verified with the public key alone, as the CA does.
        using var publicKey = ECDsa.Create(key.ExportParameters(false));
        Assert.True(publicKey.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256));

        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(protectedPart)).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", header.GetProperty("nonce").GetString());
        Assert.Equal(url.AbsoluteUri, header.GetProperty("url").GetString());
        // jwk and kid are mutually exclusive (RFC 8555 6.2).
        Assert.Equal(keyId is null, header.TryGetProperty("jwk", out var jwk));
        Assert.Equal(keyId is not null, header.TryGetProperty("kid", out var kid));
        if (keyId is null)
        {
            Assert.Equal(AcmeJws.Jwk(key), jwk.GetRawText());
        }
        else
        {
            Assert.Equal(keyId, kid.GetString());
        }

        Assert.Equal(payload ?? "", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(payloadPart)));
    }

    [Fact]
    public void The_tls_alpn_01_certificate_carries_the_digest_in_a_critical_extension_and_one_name()
    {
        const string KeyAuthorization = "token.thumbprint";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(KeyAuthorization));

        var value = TlsAlpnChallengeCertificate.ExtensionValue(KeyAuthorization);
        using var certificate = TlsAlpnChallengeCertificate.Create("app.example", KeyAuthorization, DateTimeOffset.UtcNow);

        // RFC 8737 3: DER OCTET STRING (tag 0x04, length 0x20) around SHA-256(keyAuthorization).
        Assert.Equal([0x04, 0x20, .. digest], value);
        var extension = certificate.Extensions[TlsAlpnChallengeCertificate.AcmeIdentifierOid];
        Assert.NotNull(extension);
        Assert.True(extension.Critical);
        Assert.Equal(value, extension.RawData);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["app.example"], names.EnumerateDnsNames());
        Assert.Empty(names.EnumerateIPAddresses());
    }
}
