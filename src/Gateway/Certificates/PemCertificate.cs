using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates;

/// <summary>Loads a PEM chain (leaf first, then intermediates) and its key into a context that sends the chain.</summary>
internal static class PemCertificate
{
    /// <summary>Far above a chain with every intermediate, or a bundle of CAs appended to it.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    /// <exception cref="IOException">A file cannot be read, or is larger than <see cref="MaxFileBytes"/>; a pipe or a device reads as empty.</exception>
    public static SslStreamCertificateContext Load(string certificatePath, string keyPath)
    {
        var chainPem = ReadText(certificatePath);
        var keyPem = ReadText(keyPath);
        return Create(chainPem, keyPem);
    }

    /// <summary>As <see cref="File.ReadAllText(string)"/> reads it (a byte order mark says the encoding), within <see cref="MaxFileBytes"/>.</summary>
    public static string ReadText(string path)
    {
        using var reader = new StreamReader(new MemoryStream(Gateway.Configuration.SmallFile.ReadAllBytes(path, MaxFileBytes)));
        return reader.ReadToEnd();
    }

    /// <exception cref="CryptographicException">The PEM holds no certificate, no usable key, or a key that does not match.</exception>
    public static SslStreamCertificateContext Create(string chainPem, string keyPem)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(chainPem, keyPem);
        }
        // .NET reports an RSA key of another certificate as a CryptographicException, but an EC key of another
        // certificate (same curve or not) as an ArgumentException, and a key type it cannot pair as NotSupported: all are
        // a bad pair of files, which every caller reports as such instead of failing the reload or the start.
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            throw new CryptographicException(e.Message, e);
        }

        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(chainPem);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                intermediates.Add(certificate);
            }
        }

        // offline: never fetch missing intermediates (AIA) from the network at handshake time.
        return SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }
}
