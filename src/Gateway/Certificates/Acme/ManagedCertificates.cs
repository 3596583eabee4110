using System.Net.Security;
using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The ACME certificates being served, by host: for each host the one that expires last. Replaced whole,
/// so a handshake reads one consistent table without a lock.
/// </summary>
internal sealed class ManagedCertificates
{
    private Table _table = new([], null, new HostTable<SslServerAuthenticationOptions>([]));

    public IReadOnlyList<StoredCertificate> All => Volatile.Read(ref _table).Certificates;

    /// <summary>Handshake options for <paramref name="serverName"/>, built with the serving generation's TLS settings; null when no certificate covers it.</summary>
    public SslServerAuthenticationOptions? Match(string? serverName, TlsConfig tls)
    {
        var table = Volatile.Read(ref _table);
        if (table.Certificates.Count == 0)
        {
            return null;
        }

        if (!ReferenceEquals(table.Tls, tls))
        {
            // A reload brought new TLS settings (each generation has its own instance, so whatever CreateOptions
            // reads is covered): rebuild once per generation, not per handshake. Published only if nothing replaced
            // the table meanwhile, so a certificate issued at this moment is not lost.
            var rebuilt = Build(table.Certificates, tls);
            Interlocked.CompareExchange(ref _table, rebuilt, table);
            table = rebuilt;
        }

        return table.ByHost.Match(serverName);
    }

    public void Replace(IReadOnlyList<StoredCertificate> certificates, TlsConfig tls) => Volatile.Write(ref _table, Build(certificates, tls));

    private static Table Build(IReadOnlyList<StoredCertificate> certificates, TlsConfig tls)
    {
        var latest = new Dictionary<string, StoredCertificate>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates)
        {
            foreach (var host in certificate.Hosts)
            {
                if (!latest.TryGetValue(host, out var other) || other.NotAfter < certificate.NotAfter)
                {
                    latest[host] = certificate;
                }
            }
        }

        var options = certificates.ToDictionary(c => c, c => CertificateSet.CreateOptions(c.Context, tls));
        var entries = new List<KeyValuePair<HostPattern, SslServerAuthenticationOptions>>();
        foreach (var (host, certificate) in latest)
        {
            if (HostPattern.TryParse(host, out var pattern, out _))
            {
                entries.Add(new(pattern, options[certificate]));
            }
        }

        return new Table(certificates, tls, new HostTable<SslServerAuthenticationOptions>(entries));
    }

    private sealed record Table(IReadOnlyList<StoredCertificate> Certificates, TlsConfig? Tls, HostTable<SslServerAuthenticationOptions> ByHost);
}
