using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The challenge answers open right now: http-01 key authorizations by token, tls-alpn-01 handshake options by host.
/// Written by the orderer, read by the :80 middleware and the ClientHello router.
/// </summary>
internal sealed class AcmeChallengeResponses
{
    private readonly ConcurrentDictionary<string, string> _http = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SslServerAuthenticationOptions> _tlsAlpn = new(StringComparer.OrdinalIgnoreCase);

    public bool TryGetHttp(string token, out string keyAuthorization) => _http.TryGetValue(token, out keyAuthorization!);

    /// <summary>The handshake options for a tls-alpn-01 answer to <paramref name="serverName"/>; null when none is open.</summary>
    public SslServerAuthenticationOptions? TlsAlpn(string? serverName)
    {
        if (serverName is null || Configuration.HostNames.Classify(serverName, out var name) == Configuration.HostNameKind.Invalid)
        {
            return null;
        }

        return _tlsAlpn.TryGetValue(name.Length == serverName.Length ? serverName : name.ToString(), out var options) ? options : null;
    }

    public IDisposable AddHttp(string token, string keyAuthorization)
    {
        _http[token] = keyAuthorization;
        return new Removal(() => _http.TryRemove(token, out _));
    }

    public IDisposable AddTlsAlpn(string host, X509Certificate2 certificate)
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
            // Only acme-tls/1: a client that offers nothing else must get exactly this protocol (RFC 8737 3).
            ApplicationProtocols = [TlsAlpnChallengeCertificate.Protocol],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            AllowTlsResume = false,
        };
        _tlsAlpn[host] = options;
        return new Removal(() =>
        {
            _tlsAlpn.TryRemove(new KeyValuePair<string, SslServerAuthenticationOptions>(host, options));
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
