using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates.Acme;

/// <summary>A certificate issued by the CA, with the DNS names it covers.</summary>
internal sealed record StoredCertificate(IReadOnlySet<string> Hosts, DateTimeOffset NotBefore, DateTimeOffset NotAfter, SslStreamCertificateContext Context)
{
    public static StoredCertificate From(SslStreamCertificateContext context)
    {
        var leaf = context.TargetCertificate;
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension names)
            {
                hosts.UnionWith(names.EnumerateDnsNames());
            }
        }

        return new StoredCertificate(hosts, new DateTimeOffset(leaf.NotBefore.ToUniversalTime()), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()), context);
    }

    /// <summary>The store file it was read from or written to; null for one that never was.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The instance that ordered it (<see cref="AcmeInstance"/>), from the record beside it; null when unknown.</summary>
    public string? OrderedBy { get; init; }

    public DateTimeOffset? OrderedAt { get; init; }

    public string SerialNumber => Context.TargetCertificate.SerialNumber;

    public bool Covers(IEnumerable<string> hosts) => hosts.All(Hosts.Contains);
}
