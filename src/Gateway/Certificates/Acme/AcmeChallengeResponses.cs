using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The challenge answers open right now: http-01 key authorizations by token, tls-alpn-01 handshake options by host.
/// Written by the orderer, read by the :80 middleware and the ClientHello router.
/// </summary>
internal sealed class AcmeChallengeResponses
{
    private readonly ConcurrentDictionary<string, string> _http = new(StringComparer.Ordinal);
    private static readonly List<SslApplicationProtocol> ChallengeProtocols = [TlsAlpnChallengeCertificate.Protocol];

    private readonly ConcurrentDictionary<string, SslStreamCertificateContext> _tlsAlpn = new(StringComparer.OrdinalIgnoreCase);

    public bool TryGetHttp(string token, out string keyAuthorization) => _http.TryGetValue(token, out keyAuthorization!);

    /// <summary>The handshake options for a tls-alpn-01 answer to <paramref name="serverName"/>, with the serving generation's protocols and suites; null when none is open.</summary>
    public SslServerAuthenticationOptions? TlsAlpn(string? serverName, TlsConfig tls)
    {
        if (serverName is null || Configuration.HostNames.Classify(serverName, out var name) == Configuration.HostNameKind.Invalid)
        {
            return null;
        }

        if (!_tlsAlpn.TryGetValue(name.Length == serverName.Length ? serverName : name.ToString(), out var context))
        {
            return null;
        }

        // Built per answer: a validator connects a few times per order, and the TLS settings may have been reloaded.
        // Only acme-tls/1: a client that offers nothing else must get exactly this protocol (RFC 8737 3).
        var options = CertificateSet.CreateOptions(context, tls, ChallengeProtocols);
        options.AllowTlsResume = false;
        return options;
    }

    public IDisposable AddHttp(string token, string keyAuthorization)
    {
        _http[token] = keyAuthorization;
        return new Removal(() => _http.TryRemove(token, out _));
    }

    public IDisposable AddTlsAlpn(string host, X509Certificate2 certificate)
    {
        var context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        _tlsAlpn[host] = context;
        return new Removal(() =>
        {
            _tlsAlpn.TryRemove(new KeyValuePair<string, SslStreamCertificateContext>(host, context));
            certificate.Dispose();
        });
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                remove();
            }
        }
    }
}
