using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The challenge answers open right now: http-01 key authorizations by token, tls-alpn-01 handshake options by host.
/// Written by the orderer, read by the :80 middleware and the ClientHello router. Each answer is also published in
/// the certificate store (<see cref="AcmeChallengeStore"/>), and an answer this process does not hold is looked up
/// there: instances sharing a store answer each other's challenges, whichever one the CA's validation reaches.
/// </summary>
internal sealed class AcmeChallengeResponses
{
    private readonly ConcurrentDictionary<string, string> _http = new(StringComparer.Ordinal);
    private AcmeChallengeStore? _store;
    private static readonly List<SslApplicationProtocol> ChallengeProtocols = [TlsAlpnChallengeCertificate.Protocol];

    private readonly ConcurrentDictionary<string, SslStreamCertificateContext> _tlsAlpn = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The store of the serving CA's folder, where answers are published and looked up; set by the certificate manager.</summary>
    public AcmeChallengeStore? Store
    {
        get => Volatile.Read(ref _store);
        set => Volatile.Write(ref _store, value);
    }

    /// <summary>The key authorization for <paramref name="token"/>: this process's own, else one published in the store; null when none.</summary>
    public async ValueTask<string?> FindHttpAsync(string token, CancellationToken cancellationToken)
    {
        if (_http.TryGetValue(token, out var keyAuthorization))
        {
            return keyAuthorization;
        }

        return Store is { } store ? await store.FindHttpAsync(token, cancellationToken) : null;
    }

    /// <summary>The handshake options for a tls-alpn-01 answer to <paramref name="serverName"/>, with the serving generation's protocols and suites; null when none is open here or in the store.</summary>
    public async ValueTask<SslServerAuthenticationOptions?> TlsAlpnAsync(string? serverName, TlsConfig tls, CancellationToken cancellationToken)
    {
        if (serverName is null || Configuration.HostNames.Classify(serverName, out var name) == Configuration.HostNameKind.Invalid)
        {
            return null;
        }

        var host = name.Length == serverName.Length ? serverName : name.ToString();
        if (!_tlsAlpn.TryGetValue(host, out var context)
            && (Store is not { } store || (context = await store.FindTlsAlpnAsync(host.ToLowerInvariant(), cancellationToken)) is null))
        {
            return null;
        }

        // Built per answer: a validator connects a few times per order, and the TLS settings may have been reloaded.
        // Only acme-tls/1: a client that offers nothing else must get exactly this protocol (RFC 8737 3).
        var options = CertificateSet.CreateOptions(context, tls, ChallengeProtocols);
        options.AllowTlsResume = false;
        return options;
    }

    /// <summary>Opens an http-01 answer here and, first, in the store (so it is there before the CA is told).</summary>
    /// <exception cref="IOException">The store cannot be written; the challenge is not opened.</exception>
    public IDisposable AddHttp(string token, string keyAuthorization)
    {
        var published = Store?.PublishHttp(token, keyAuthorization);
        _http[token] = keyAuthorization;
        return new Removal(() =>
        {
            _http.TryRemove(token, out _);
            published?.Dispose();
        });
    }

    /// <summary>Opens a tls-alpn-01 answer here and, first, in the store (so it is there before the CA is told).</summary>
    /// <exception cref="IOException">The store cannot be written; the challenge is not opened.</exception>
    public IDisposable AddTlsAlpn(string host, X509Certificate2 certificate)
    {
        IDisposable? published;
        try
        {
            published = Store?.PublishTlsAlpn(host, certificate);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }

        var context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        _tlsAlpn[host] = context;
        return new Removal(() =>
        {
            _tlsAlpn.TryRemove(new KeyValuePair<string, SslStreamCertificateContext>(host, context));
            published?.Dispose();
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
