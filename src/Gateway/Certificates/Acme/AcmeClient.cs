using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Gateway.Certificates.Acme;

/// <summary>
/// The transport half of RFC 8555: directory, nonces, signed requests, account. Stateless about orders;
/// <see cref="AcmeOrderer"/> drives those.
/// </summary>
internal sealed class AcmeClient : IDisposable
{
    /// <summary>badNonce is normal (servers may reject any nonce); a run of them is not.</summary>
    private const int MaxNonceRetries = 5;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly MediaTypeHeaderValue JoseJson = new("application/jose+json");

    private readonly HttpClient _http;
    private readonly Uri _directoryUrl;
    private readonly ECDsa _accountKey;
    private readonly TimeProvider _time;
    private AcmeDirectory? _directory;
    private string? _nonce;
    private string? _accountUrl;

    public AcmeClient(AcmeConfig config, ECDsa accountKey, TimeProvider time)
    {
        _time = time;
        _directoryUrl = config.Directory;
        _accountKey = accountKey;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(15) };
        if (config.DirectoryTrustPath is { } trustPath)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(trustPath);
            handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }

        _http = new HttpClient(handler) { Timeout = RequestTimeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Gateway-ACME", "1.0"));
    }

    public ECDsa AccountKey => _accountKey;

    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken cancellationToken)
    {
        if (_directory is null)
        {
            using var response = await _http.GetAsync(_directoryUrl, cancellationToken);
            _directory = await ReadAsync(response, AcmeJson.Default.AcmeDirectory, "reading the directory", cancellationToken);
        }

        return _directory;
    }

    /// <summary>Registers the account key, or finds the account it already has (RFC 8555 7.3: 200 instead of 201).</summary>
    public async Task<string> EnsureAccountAsync(string? email, CancellationToken cancellationToken)
    {
        if (_accountUrl is not null)
        {
            return _accountUrl;
        }

        var directory = await GetDirectoryAsync(cancellationToken);
        var request = new AcmeNewAccount(true, email is null ? null : ["mailto:" + email]);
        using var response = await PostAsync(directory.NewAccount, Serialize(request, AcmeJson.Default.AcmeNewAccount), "creating the account", cancellationToken, useKeyId: false);
        _accountUrl = response.Headers.Location?.AbsoluteUri ?? throw new AcmeException("the CA created the account but sent no account URL (Location)");
        return _accountUrl;
    }

    public async Task<(AcmeOrder Order, Uri Url)> NewOrderAsync(IEnumerable<string> hosts, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken);
        var request = new AcmeNewOrder([.. hosts.Select(h => new AcmeIdentifier("dns", h))]);
        using var response = await PostAsync(directory.NewOrder, Serialize(request, AcmeJson.Default.AcmeNewOrder), "creating the order", cancellationToken);
        var order = await ReadAsync(response, AcmeJson.Default.AcmeOrder, "creating the order", cancellationToken);
        return (order, response.Headers.Location ?? throw new AcmeException("the CA created the order but sent no order URL (Location)"));
    }

    public Task<(T Resource, TimeSpan? RetryAfter)> GetAsync<T>(Uri url, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken) =>
        PostAsync(url, null, type, what, cancellationToken);

    /// <summary>A signed request and its JSON answer; POST-as-GET when <paramref name="payload"/> is null.</summary>
    public async Task<(T Resource, TimeSpan? RetryAfter)> PostAsync<T>(Uri url, byte[]? payload, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(url, payload, what, cancellationToken);
        return (await ReadAsync(response, type, what, cancellationToken), RetryAfter(response, _time));
    }

    public async Task<string> DownloadCertificateAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await PostAsync(url, null, "downloading the certificate", cancellationToken, accept: "application/pem-certificate-chain");
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    public static byte[] Serialize<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    public void Dispose()
    {
        _http.Dispose();
        _accountKey.Dispose();
    }

    /// <summary>A signed POST (POST-as-GET when <paramref name="payload"/> is null), retried on badNonce with the nonce the error carried.</summary>
    private async Task<HttpResponseMessage> PostAsync(Uri url, byte[]? payload, string what, CancellationToken cancellationToken, bool useKeyId = true, string? accept = null)
    {
        var keyId = useKeyId ? await EnsureAccountAsync(null, cancellationToken) : null;
        for (var attempt = 0; ; attempt++)
        {
            var nonce = _nonce ?? await NewNonceAsync(cancellationToken);
            _nonce = null;
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new ByteArrayContent(AcmeJws.Sign(_accountKey, keyId, nonce, url, payload)),
            };
            request.Content.Headers.ContentType = JoseJson;
            if (accept is not null)
            {
                request.Headers.Accept.ParseAdd(accept);
            }

            var response = await _http.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues("Replay-Nonce", out var nonces))
            {
                _nonce = nonces.FirstOrDefault();
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var problem = await ReadProblemAsync(response, cancellationToken);
                if (problem?.Type == AcmeProblem.BadNonce && attempt < MaxNonceRetries)
                {
                    continue;
                }

                throw new AcmeException($"{what} failed with HTTP {(int)response.StatusCode}", problem, RetryAfter(response, _time));
            }
        }
    }

    private async Task<string> NewNonceAsync(CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Head, directory.NewNonce);
        using var response = await _http.SendAsync(request, cancellationToken);
        return response.Headers.TryGetValues("Replay-Nonce", out var nonces) && nonces.FirstOrDefault() is { Length: > 0 } nonce
            ? nonce
            : throw new AcmeException($"the CA's newNonce answered HTTP {(int)response.StatusCode} without a Replay-Nonce");
    }

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new AcmeException($"{what} failed with HTTP {(int)response.StatusCode}", await ReadProblemAsync(response, cancellationToken), RetryAfter(response, _time));
        }

        try
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new AcmeException($"{what}: the CA sent an empty body");
        }
        catch (JsonException e)
        {
            throw new AcmeException($"{what}: the CA's answer is not the expected JSON: {e.Message}", e);
        }
    }

    private static async Task<AcmeProblem?> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(AcmeJson.Default.AcmeProblem, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Retry-After as seconds or an HTTP date (RFC 9110 10.2.3).</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}
