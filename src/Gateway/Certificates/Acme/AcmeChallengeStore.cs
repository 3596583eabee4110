using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Challenge answers published in the shared store, so that whichever instance the CA's validation reaches can
/// answer it: <c>challenges/http-01/{token}</c> holds the key authorization, <c>challenges/tls-alpn-01/{host}.pem</c>
/// the challenge certificate and its key. Written before the CA is told to validate, removed when the authorization
/// is settled.
/// </summary>
/// <remarks>
/// Lookups happen for requests from anyone, so they are bounded: a token or host name is checked character by
/// character before it becomes a file name (no separator, no dot-dot, no encoding survives), files are read up to
/// <see cref="MaxFileBytes"/>, at most <see cref="MaxConcurrentReads"/> reads run at once (others answer "none"
/// rather than queue), and answers found are cached (<see cref="MaxCached"/> entries) for a few seconds so a
/// validator's repeated connections parse the certificate once. A miss is not cached: the CA validates right after
/// publication, and a miss remembered from an earlier probe must not hide the answer.
/// </remarks>
internal sealed class AcmeChallengeStore
{
    public const int MaxTokenLength = 128;
    private const int MaxFileBytes = 16 * 1024;
    private const int MaxConcurrentReads = 16;
    private const int MaxCached = 256;
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly string _http;
    private readonly string _tlsAlpn;
    private readonly TimeProvider _time;
    private int _reads;
    private readonly ConcurrentDictionary<string, (object Answer, DateTime Written, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public AcmeChallengeStore(string root, TimeProvider time)
    {
        Folder = Path.Combine(root, "challenges");
        _http = Path.Combine(Folder, "http-01");
        _tlsAlpn = Path.Combine(Folder, "tls-alpn-01");
        _time = time;
    }

    public string Folder { get; }

    /// <summary>RFC 8555 8.1: a token is base64url; anything else never names a file.</summary>
    public static bool IsToken(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty || token.Length > MaxTokenLength)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A host name as the ClientHello router normalized it: lower-case letters, digits, hyphens, single dots.</summary>
    public static bool IsHostFileName(ReadOnlySpan<char> host)
    {
        if (host.IsEmpty || host.Length > 253 || host[0] == '.' || host[^1] == '.' || host.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var c in host)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }

    public IDisposable PublishHttp(string token, string keyAuthorization)
    {
        if (!IsToken(token))
        {
            throw new AcmeException($"the CA sent a challenge token that is not base64url ({token.Length} characters)");
        }

        Directory.CreateDirectory(_http);
        var path = Path.Combine(_http, token);
        PrivateFile.WriteAtomically(path, keyAuthorization, PrivateFile.OwnerOnly);
        return new Removal(path);
    }

    public IDisposable PublishTlsAlpn(string host, X509Certificate2 certificate)
    {
        if (!IsHostFileName(host))
        {
            throw new AcmeException($"'{host}' cannot name a challenge file");
        }

        Directory.CreateDirectory(_tlsAlpn);
        var path = Path.Combine(_tlsAlpn, host + ".pem");
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("a tls-alpn-01 certificate without its key");
        PrivateFile.WriteAtomically(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem(), PrivateFile.OwnerOnly);
        return new Removal(path);
    }

    /// <summary>The key authorization another instance published for <paramref name="token"/>; null when none.</summary>
    public async ValueTask<string?> FindHttpAsync(string token, CancellationToken cancellationToken)
    {
        if (!IsToken(token))
        {
            return null;
        }

        return await FindAsync("h:" + token, Path.Combine(_http, token), text => text, cancellationToken) as string;
    }

    /// <summary>The tls-alpn-01 certificate another instance published for <paramref name="host"/>; null when none.</summary>
    public async ValueTask<SslStreamCertificateContext?> FindTlsAlpnAsync(string host, CancellationToken cancellationToken)
    {
        if (!IsHostFileName(host))
        {
            return null;
        }

        return await FindAsync("t:" + host, Path.Combine(_tlsAlpn, host + ".pem"), text =>
        {
            try
            {
                return SslStreamCertificateContext.Create(X509Certificate2.CreateFromPem(text, text), null, offline: true);
            }
            catch (CryptographicException)
            {
                return null; // half a file written by something else; the publisher's own answer is always whole
            }
        }, cancellationToken) as SslStreamCertificateContext;
    }

    /// <summary>Removes answers older than <paramref name="age"/>: those of an instance that stopped mid-order.</summary>
    /// <remarks>
    /// A file's age is its modification time against this machine's wall clock: both are wall clocks (the file
    /// server's and ours, kept together by NTP), while the injected TimeProvider schedules work and may run apart
    /// from them.
    /// </remarks>
    public void RemoveAbandoned(TimeSpan age)
    {
        var before = DateTime.UtcNow - age;
        foreach (var folder in new[] { _http, _tlsAlpn })
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
            {
                if (file.LastWriteTimeUtc < before)
                {
                    try
                    {
                        file.Delete();
                    }
                    catch (IOException)
                    {
                    }
                }
            }
        }
    }

    private async ValueTask<object?> FindAsync(string cacheKey, string path, Func<string, object?> parse, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        // A cached answer stands only while its file does, unchanged: a host's next order publishes a new certificate.
        if (_cache.TryGetValue(cacheKey, out var cached) && cached.Until > now && File.GetLastWriteTimeUtc(path) == cached.Written)
        {
            return cached.Answer;
        }

        if (Interlocked.Increment(ref _reads) > MaxConcurrentReads)
        {
            Interlocked.Decrement(ref _reads);
            return null;
        }

        try
        {
            string text;
            DateTime written;
            try
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
                if (stream.Length > MaxFileBytes)
                {
                    return null;
                }

                written = File.GetLastWriteTimeUtc(path);
                var buffer = new byte[stream.Length];
                await stream.ReadExactlyAsync(buffer, cancellationToken);
                text = Encoding.UTF8.GetString(buffer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            var answer = parse(text);
            if (answer is not null)
            {
                if (_cache.Count >= MaxCached)
                {
                    _cache.Clear();
                }

                _cache[cacheKey] = (answer, written, now + CacheFor);
            }

            return answer;
        }
        finally
        {
            Interlocked.Decrement(ref _reads);
        }
    }

    private sealed class Removal(string path) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Left for RemoveAbandoned; the CA has settled the authorization, so the answer is worthless now.
                }
            }
        }
    }
}
