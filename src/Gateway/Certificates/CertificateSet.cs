using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;

namespace Gateway.Certificates;

/// <summary>
/// The certificates of one config generation, by SNI, each with its TLS options built once so a handshake
/// costs a table lookup. Hosts without a configured certificate get the self-signed fallback.
/// </summary>
internal sealed class CertificateSet
{
    private static readonly List<SslApplicationProtocol> HttpProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    private readonly HostTable<SslServerAuthenticationOptions> _byHost;
    private readonly SslServerAuthenticationOptions? _fallback;

    private CertificateSet(HostTable<SslServerAuthenticationOptions> byHost, SslServerAuthenticationOptions? fallback, IReadOnlyList<CertificateInfo> certificates)
    {
        _byHost = byHost;
        _fallback = fallback;
        Certificates = certificates;
    }

    /// <summary>Every certificate served, by the host it is configured for ("*" for the fallback), with its expiry.</summary>
    public IReadOnlyList<CertificateInfo> Certificates { get; }

    /// <summary>
    /// Loads the configured certificates; add the fallback with <see cref="WithFallback"/> before use. A file serves the
    /// host it is configured under and every DNS name of its SAN list (exact and wildcard): a configured host always
    /// takes its own file, a name only SANs cover takes the first file listed that covers it.
    /// </summary>
    /// <param name="warnings">A configured host its certificate does not cover, and a certificate expired or expiring within <see cref="ExpiryWarning"/>.</param>
    public static CertificateSet Load(TlsConfig tls, ConfigErrors errors, ConfigErrors warnings, DateTimeOffset now)
    {
        var configured = new List<KeyValuePair<HostPattern, SslServerAuthenticationOptions>>();
        var bySan = new List<List<KeyValuePair<HostPattern, SslServerAuthenticationOptions>>>();
        var certificates = new List<CertificateInfo>();
        foreach (var file in tls.Certificates)
        {
            try
            {
                var context = PemCertificate.Load(file.CertificatePath, file.KeyPath);
                var options = CreateOptions(context, tls);
                var names = DnsNames(context.TargetCertificate);
                configured.Add(new(file.Host, options));
                var sans = new List<KeyValuePair<HostPattern, SslServerAuthenticationOptions>>();
                foreach (var name in names)
                {
                    if (HostPattern.TryParse(name, out var san, out _))
                    {
                        sans.Add(KeyValuePair.Create(san, options));
                    }
                }

                bySan.Add(sans);
                certificates.Add(CertificateInfo.From(file.Host.Value, context));
                Warn(file, context.TargetCertificate, names, now, warnings);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(file.ConfigPath, $"cannot read the certificate files: {e.Message}");
            }
            catch (CryptographicException e)
            {
                errors.Add(file.ConfigPath, $"'{file.CertificatePath}' with key '{file.KeyPath}' is not a usable PEM certificate and matching private key: {e.Message}; KeyPath must name the unencrypted PKCS#8, RSA or EC private key of the first certificate in CertificatePath");
            }
        }

        // The table keeps the last entry of a name: SANs of later files first, then earlier ones, then the configured hosts.
        bySan.Reverse();
        return new CertificateSet(new HostTable<SslServerAuthenticationOptions>([.. bySan.SelectMany(names => names), .. configured]), null, certificates);
    }

    /// <summary>How long before its expiry a certificate is warned about.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    private static List<string> DnsNames(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(san => san.EnumerateDnsNames()).ToList();
        if (names.Count == 0 && certificate.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } commonName)
        {
            names.Add(commonName); // no SAN at all: clients fall back to the common name, and so does the check
        }

        return names;
    }

    private static void Warn(CertificateFileConfig file, X509Certificate2 certificate, List<string> names, DateTimeOffset now, ConfigErrors warnings)
    {
        if (!names.Any(name => Covers(name, file.Host)))
        {
            warnings.Add(file.ConfigPath, $"the certificate in '{file.CertificatePath}' does not cover {file.Host} (it covers: {(names.Count == 0 ? "no DNS name" : string.Join(", ", names))}); clients will refuse it");
        }

        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (notAfter <= now)
        {
            warnings.Add(file.ConfigPath, $"the certificate in '{file.CertificatePath}' expired on {notAfter:u}; clients will refuse it");
        }
        else if (notAfter - now <= ExpiryWarning)
        {
            warnings.Add(file.ConfigPath, $"the certificate in '{file.CertificatePath}' expires on {notAfter:u}, in {(notAfter - now).TotalDays:0.#} days");
        }
    }

    /// <summary>Whether a SAN entry covers the configured host: the same name, or a wildcard one label above it (RFC 6125 6.4.3).</summary>
    private static bool Covers(string name, HostPattern host)
    {
        if (!HostPattern.TryParse(name, out var san, out _))
        {
            return false;
        }

        if (san.Equals(host))
        {
            return true;
        }

        return san.IsWildcard && !host.IsWildcard && host.Value.IndexOf('.', StringComparison.Ordinal) is var dot and > 0
            && host.Value[(dot + 1)..].Equals(san.Suffix.TrimStart('.'), StringComparison.OrdinalIgnoreCase);
    }

    public CertificateSet WithFallback(SslStreamCertificateContext fallback, TlsConfig tls) =>
        new(_byHost, CreateOptions(fallback, tls), [.. Certificates, CertificateInfo.From("*", fallback)]);

    /// <summary>The self-signed fallback's options, for hosts nothing else covers.</summary>
    public SslServerAuthenticationOptions Fallback => _fallback ?? throw new InvalidOperationException("The certificate set has no fallback.");

    /// <summary>The options of the configured certificate for <paramref name="serverName"/>; null when none is configured for it. Shared across connections, so nothing may mutate them.</summary>
    public SslServerAuthenticationOptions? Match(string? serverName) => _byHost.Match(serverName);

    /// <param name="protocols">The ALPN protocols offered; HTTP/2 and http/1.1 when null. Never mutated, so it may be shared.</param>
    /// <param name="strict">With <see cref="TlsConfig.StrictSuites"/> for a ClientHello that needs them (no session then).</param>
    public static SslServerAuthenticationOptions CreateOptions(SslStreamCertificateContext context, TlsConfig tls, List<SslApplicationProtocol>? protocols = null, bool strict = false) => new()
    {
        ServerCertificateContext = context,
        EnabledSslProtocols = tls.Protocols,
        CipherSuitesPolicy = strict ? tls.StrictSuites : tls.CipherSuites,
        AllowTlsResume = tls.AllowResumption && !strict,
        // Set explicitly: Kestrel fills in ALPN itself when this is null, which would mutate a shared instance.
        ApplicationProtocols = protocols ?? HttpProtocols,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
    };
}
