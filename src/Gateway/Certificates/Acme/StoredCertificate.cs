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

    public bool Covers(IEnumerable<string> hosts) => hosts.All(Hosts.Contains);
}
