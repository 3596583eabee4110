using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gateway.Certificates.Acme;

/// <summary>
/// What ACME keeps on disk, one folder per CA (so staging certificates are never served after switching to
/// production): <c>{Certificates:Path}/acme/{ca-host}/account.key.pem</c> and <c>certificates/{name}.pem</c>,
/// which holds the chain and its key (mode 0600). One file written atomically: a crash leaves the old pair or the
/// new one, never a chain with another certificate's key.
/// </summary>
/// <remarks>
/// <para>
/// Several instances may share the folder (NFS, a Kubernetes ReadWriteMany volume, several processes on one machine):
/// they coordinate through it alone. <c>locks/</c> holds leases (<see cref="AcmeLocks"/>): one for the account key,
/// one per host set while it is ordered. <c>challenges/</c> holds open challenge answers (<see cref="AcmeChallengeStore"/>).
/// Beside each certificate, <c>{name}.json</c> says which instance ordered it and when (<see cref="AcmeCertificateRecord"/>).
/// Every file is written to a temporary name and renamed, so a reader sees the old file or the new one.
/// </para>
/// <para>
/// Earlier versions kept the key beside the chain in <c>{name}.key.pem</c>; such pairs still load, and the next
/// renewal replaces them with the one-file form.
/// </para>
/// </remarks>
internal sealed class AcmeStorage
{
    public const string AccountLock = "account";
    private const string KeySuffix = ".key.pem";
    private const string RecordSuffix = ".json";

    public AcmeStorage(string certificatesPath, Uri directory, string instance, TimeSpan lease, TimeProvider time)
    {
        Root = RootOf(certificatesPath, directory);
        CertificatesFolder = Path.Combine(Root, "certificates");
        Locks = new AcmeLocks(Path.Combine(Root, "locks"), instance, time, lease);
        Challenges = new AcmeChallengeStore(Root, time);
    }

    public string Root { get; }

    /// <summary>The CA's folder: staging and production certificates never mix.</summary>
    public static string RootOf(string certificatesPath, Uri directory) =>
        Path.Combine(certificatesPath, "acme", directory.IsDefaultPort ? directory.Host : directory.Host + "_" + directory.Port.ToString(CultureInfo.InvariantCulture));

    public string CertificatesFolder { get; }

    public AcmeLocks Locks { get; }

    public AcmeChallengeStore Challenges { get; }

    /// <summary>
    /// The account key for this CA, created on first use by one instance under the account lock; null while another
    /// instance holds that lock (it is creating the key: ask again shortly, never create a second one).
    /// </summary>
    public async Task<ECDsa?> LoadOrCreateAccountKeyAsync()
    {
        var path = Path.Combine(Root, "account" + KeySuffix);
        if (TryLoadKey(path) is { } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(Root);
        await using var lease = Locks.TryAcquire(AccountLock, out _);
        if (lease is null)
        {
            return null;
        }

        // Under the lock, look again: the previous holder may have written it between the first look and the lock.
        if (TryLoadKey(path) is { } created)
        {
            return created;
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        PrivateFile.WriteAtomically(path, key.ExportPkcs8PrivateKeyPem(), PrivateFile.OwnerOnly);
        return key;
    }

    private static ECDsa? TryLoadKey(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        key.ImportFromPem(File.ReadAllText(path));
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
                var certificate = StoredCertificate.From(PemCertificate.Create(pem, keyPem)) with { SourcePath = path };
                var record = ReadRecord(path);
                stored.Add(record is not null && record.Serial == certificate.SerialNumber
                    ? certificate with { OrderedBy = record.OrderedBy, OrderedAt = record.OrderedAt }
                    : certificate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                broken(path, e);
            }
        }

        return stored;
    }

    /// <summary>Writes the certificate and, first, the record of who ordered it; returns it as served.</summary>
    /// <param name="orderedBy">The <see cref="AcmeInstance"/> id of the instance that ordered it; null to write no record.</param>
    public StoredCertificate Save(IReadOnlyList<string> hosts, string chainPem, string keyPem, string? orderedBy = null, DateTimeOffset orderedAt = default)
    {
        var certificate = StoredCertificate.From(PemCertificate.Create(chainPem, keyPem));
        Directory.CreateDirectory(CertificatesFolder);
        var path = PathOf(hosts);
        if (orderedBy is not null)
        {
            var record = new AcmeCertificateRecord(hosts, certificate.SerialNumber, orderedBy, orderedAt);
            PrivateFile.WriteAtomically(RecordPath(path), JsonSerializer.Serialize(record, AcmeJson.Default.AcmeCertificateRecord), PrivateFile.WorldReadable);
            certificate = certificate with { OrderedBy = orderedBy, OrderedAt = orderedAt };
        }

        PrivateFile.WriteAtomically(path, chainPem.TrimEnd() + "\n" + keyPem, PrivateFile.OwnerOnly);
        // The earlier two-file form's key; unused once the file above holds its own.
        File.Delete(KeyPath(path));
        return certificate with { SourcePath = path };
    }

    /// <summary>Where the certificate for <paramref name="hosts"/> is kept.</summary>
    public string PathOf(IReadOnlyList<string> hosts) => Path.Combine(CertificatesFolder, FileName(hosts) + ".pem");

    /// <summary>SHA-256 of the host set: the same on every run and machine, unlike string.GetHashCode.</summary>
    public static byte[] HostSetDigest(IReadOnlyList<string> hosts) => SHA256.HashData(Encoding.UTF8.GetBytes(string.Join(",", hosts)));

    private static AcmeCertificateRecord? ReadRecord(string certificatePath)
    {
        try
        {
            return File.Exists(RecordPath(certificatePath)) ? JsonSerializer.Deserialize(File.ReadAllText(RecordPath(certificatePath)), AcmeJson.Default.AcmeCertificateRecord) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // who ordered it is for /stats; the certificate serves without it
        }
    }

    private static string RecordPath(string certificatePath) => certificatePath[..^".pem".Length] + RecordSuffix;

    /// <summary>The first host, readable in a directory listing, plus a hash of the whole set when there are several; also
    /// the host set's lock name. A wildcard's "*" becomes "_wildcard": a star in a file name is a trap for every shell
    /// script that lists the folder.</summary>
    public static string FileName(IReadOnlyList<string> hosts)
    {
        var first = hosts[0].StartsWith("*.", StringComparison.Ordinal) ? "_wildcard" + hosts[0][1..] : hosts[0];
        return hosts.Count == 1 ? first : first + "+" + Convert.ToHexStringLower(HostSetDigest(hosts).AsSpan(0, 4));
    }

    private static string KeyPath(string certificatePath) => certificatePath[..^".pem".Length] + KeySuffix;
}
