using System.Net.Security;
using System.Security.Cryptography;
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

    /// <summary>Loads the configured certificates; add the fallback with <see cref="WithFallback"/> before use.</summary>
    public static CertificateSet Load(TlsConfig tls, ConfigErrors errors)
    {
        var entries = new List<KeyValuePair<HostPattern, SslServerAuthenticationOptions>>();
        var certificates = new List<CertificateInfo>();
        foreach (var file in tls.Certificates)
        {
            try
            {
                var context = PemCertificate.Load(file.CertificatePath, file.KeyPath);
                entries.Add(new(file.Host, CreateOptions(context, tls)));
                certificates.Add(CertificateInfo.From(file.Host.Value, context));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(file.ConfigPath, $"cannot read the certificate files: {e.Message}");
            }
            catch (CryptographicException e)
            {
                errors.Add(file.ConfigPath, $"'{file.CertificatePath}' with key '{file.KeyPath}' is not a usable PEM certificate and matching private key: {e.Message}");
            }
        }

        return new CertificateSet(new HostTable<SslServerAuthenticationOptions>(entries), null, certificates);
    }

    public CertificateSet WithFallback(SslStreamCertificateContext fallback, TlsConfig tls) =>
        new(_byHost, CreateOptions(fallback, tls), [.. Certificates, CertificateInfo.From("*", fallback)]);

    /// <summary>The self-signed fallback's options, for hosts nothing else covers.</summary>
    public SslServerAuthenticationOptions Fallback => _fallback ?? throw new InvalidOperationException("The certificate set has no fallback.");

    /// <summary>The options of the configured certificate for <paramref name="serverName"/>; null when none is configured for it. Shared across connections, so nothing may mutate them.</summary>
    public SslServerAuthenticationOptions? Match(string? serverName) => _byHost.Match(serverName);

    /// <param name="protocols">The ALPN protocols offered; HTTP/2 and http/1.1 when null. Never mutated, so it may be shared.</param>
    public static SslServerAuthenticationOptions CreateOptions(SslStreamCertificateContext context, TlsConfig tls, List<SslApplicationProtocol>? protocols = null) => new()
    {
        ServerCertificateContext = context,
        EnabledSslProtocols = tls.Protocols,
        CipherSuitesPolicy = tls.CipherSuites,
        AllowTlsResume = tls.AllowResumption,
        // Set explicitly: Kestrel fills in ALPN itself when this is null, which would mutate a shared instance.
        ApplicationProtocols = protocols ?? HttpProtocols,
        ClientCertificateRequired = false,
        CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
    };
}
