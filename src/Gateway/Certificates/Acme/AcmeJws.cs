using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The JSON Web Signature pieces ACME needs (RFC 8555 6.2, RFC 7515 flattened form, RFC 7638 thumbprints),
/// for ES256 account keys only.
/// </summary>
internal static class AcmeJws
{
    /// <summary>
    /// The account key's public JWK with exactly the required members in lexicographic order and no whitespace:
    /// the form RFC 7638 hashes, and an equally valid form to send.
    /// </summary>
    public static string Jwk(ECDsa key)
    {
        var point = key.ExportParameters(includePrivateParameters: false).Q;
        return $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(point.X)}\",\"y\":\"{Base64Url.EncodeToString(point.Y)}\"}}";
    }

    /// <summary>RFC 7638: base64url(SHA-256(canonical JWK)).</summary>
    public static string Thumbprint(string canonicalJwk) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJwk)));

    /// <summary>RFC 8555 8.1: token "." thumbprint of the account key.</summary>
    public static string KeyAuthorization(string token, ECDsa accountKey) => token + "." + Thumbprint(Jwk(accountKey));

    /// <summary>
    /// A flattened JWS. With <paramref name="keyId"/> null the public key itself goes in the header (newAccount);
    /// otherwise the account URL does. A null <paramref name="payload"/> is POST-as-GET (empty payload).
    /// </summary>
    public static byte[] Sign(ECDsa key, string? keyId, string nonce, Uri url, byte[]? payload)
    {
        var header = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(header))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", "ES256");
            if (keyId is null)
            {
                writer.WritePropertyName("jwk");
                writer.WriteRawValue(Jwk(key));
            }
            else
            {
                writer.WriteString("kid", keyId);
            }

            writer.WriteString("nonce", nonce);
            writer.WriteString("url", url.AbsoluteUri);
            writer.WriteEndObject();
        }

        var protectedPart = Base64Url.EncodeToString(header.WrittenSpan);
        var payloadPart = payload is null ? "" : Base64Url.EncodeToString(payload);
        // ECDsa.SignData produces the fixed-width r||s form that JWS ES256 requires (RFC 7518 3.4).
        var signature = key.SignData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), HashAlgorithmName.SHA256);

        var body = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteString("protected", protectedPart);
            writer.WriteString("payload", payloadPart);
            writer.WriteString("signature", Base64Url.EncodeToString(signature));
            writer.WriteEndObject();
        }

        return body.WrittenSpan.ToArray();
    }
}
