using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Certificates.Acme;

/// <summary>
/// What ACME keeps on disk, one folder per CA (so staging certificates are never served after switching to
/// production): <c>{Certificates:Path}/acme/{ca-host}/account.key.pem</c> and <c>certificates/{name}.pem</c>,
/// which holds the chain and its key (mode 0600). One file written atomically: a crash leaves the old pair or the
/// new one, never a chain with another certificate's key.
/// </summary>
/// <remarks>
/// Earlier versions kept the key beside the chain in <c>{name}.key.pem</c>; such pairs still load, and the next
/// renewal replaces them with the one-file form.
/// </remarks>
internal sealed class AcmeStorage
{
    private const string KeySuffix = ".key.pem";

    public AcmeStorage(string certificatesPath, Uri directory)
    {
        var folder = directory.IsDefaultPort ? directory.Host : directory.Host + "_" + directory.Port.ToString(CultureInfo.InvariantCulture);
        Root = Path.Combine(certificatesPath, "acme", folder);
        CertificatesFolder = Path.Combine(Root, "certificates");
    }

    public string Root { get; }

    public string CertificatesFolder { get; }

    /// <summary>The account key for this CA, created on first use.</summary>
    public ECDsa LoadOrCreateAccountKey()
    {
        var path = Path.Combine(Root, "account" + KeySuffix);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return key;
        }

        Directory.CreateDirectory(Root);
        PrivateFile.WriteAtomically(path, key.ExportPkcs8PrivateKeyPem(), PrivateFile.OwnerOnly);
        return key;
    }

    /// <summary>Every stored certificate that loads; broken files are reported through <paramref name="broken"/> and skipped.</summary>
    public List<StoredCertificate> LoadAll(Action<string, Exception> broken)
    {
        var stored = new List<StoredCertificate>();
        if (!Directory.Exists(CertificatesFolder))
        {
            return stored;
        }

        foreach (var path in Directory.EnumerateFiles(CertificatesFolder, "*.pem"))
        {
            if (path.EndsWith(KeySuffix, StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                var pem = File.ReadAllText(path);
                var keyPem = pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal) ? pem : File.ReadAllText(KeyPath(path));
                stored.Add(StoredCertificate.From(PemCertificate.Create(pem, keyPem)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                broken(path, e);
            }
        }

        return stored;
    }

    public StoredCertificate Save(IReadOnlyList<string> hosts, string chainPem, string keyPem)
    {
        var certificate = StoredCertificate.From(PemCertificate.Create(chainPem, keyPem));
        Directory.CreateDirectory(CertificatesFolder);
        var path = Path.Combine(CertificatesFolder, FileName(hosts) + ".pem");
        PrivateFile.WriteAtomically(path, chainPem.TrimEnd() + "\n" + keyPem, PrivateFile.OwnerOnly);
        // The earlier two-file form's key; unused once the file above holds its own.
        File.Delete(KeyPath(path));
        return certificate;
    }

    /// <summary>SHA-256 of the host set: the same on every run and machine, unlike string.GetHashCode.</summary>
    public static byte[] HostSetDigest(IReadOnlyList<string> hosts) => SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", hosts)));

    /// <summary>The first host, readable in a directory listing, plus a hash of the whole set when there are several.
    /// A wildcard's "*" becomes "_wildcard": a star in a file name is a trap for every shell script that lists the folder.</summary>
    private static string FileName(IReadOnlyList<string> hosts)
    {
        var first = hosts[0].StartsWith("*.", StringComparison.Ordinal) ? "_wildcard" + hosts[0][1..] : hosts[0];
        return hosts.Count == 1 ? first : first + "+" + Convert.ToHexStringLower(HostSetDigest(hosts).AsSpan(0, 4));
    }

    private static string KeyPath(string certificatePath) => certificatePath[..^".pem".Length] + KeySuffix;
}
