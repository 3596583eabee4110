using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Diagnostics;

namespace Gateway.Certificates.Acme;

/// <summary>
/// One certificate order for one host set (RFC 8555 7.4): order, authorizations and their challenges, finalize
/// with a fresh key, download the chain. Tries the configured challenge types in turn, a new order each.
/// </summary>
internal sealed partial class AcmeOrderer(AcmeChallengeResponses responses, AcmeDnsProviders dnsProviders, TimeProvider time, ILogger<AcmeOrderer> logger)
{
    /// <summary>A record left behind is harmless but untidy: its removal gets this long even when the order was cancelled.</summary>
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Poll interval when the CA gives no Retry-After; bounded so a huge Retry-After cannot park an order.</summary>
    private static readonly TimeSpan DefaultPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxPoll = TimeSpan.FromSeconds(30);

    /// <summary>How long one authorization or one finalization may stay pending before the attempt is given up.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    /// <exception cref="AcmeException">The CA refused or the validation failed; the message says why.</exception>
    public async Task<(string ChainPem, string KeyPem)> OrderAsync(AcmeClient client, AcmeConfig config, IReadOnlyList<string> hosts,
        IReadOnlyList<AcmeChallengeType> challenges, CancellationToken cancellationToken)
    {
        await client.EnsureAccountAsync(config.Email, cancellationToken);
        // A wildcard is always proven through dns-01, whatever the attempt; a set of wildcards only needs one attempt.
        if (hosts.All(h => h.StartsWith("*.", StringComparison.Ordinal)))
        {
            challenges = [AcmeChallengeType.Dns01];
        }

        AcmeException? failure = null;
        foreach (var challenge in challenges)
        {
            try
            {
                return await OrderWithAsync(client, config, hosts, challenge, cancellationToken);
            }
            catch (AcmeException e) when (e.ValidationFailed)
            {
                Log.ChallengeFailed(logger, string.Join(", ", hosts), AcmeConfig.ChallengeName(challenge), e.Message);
                failure = e;
            }
        }

        throw failure ?? new AcmeException("no challenge type is configured");
    }

    private async Task<(string ChainPem, string KeyPem)> OrderWithAsync(AcmeClient client, AcmeConfig config, IReadOnlyList<string> hosts, AcmeChallengeType challenge, CancellationToken cancellationToken)
    {
        var (order, orderUrl) = await client.NewOrderAsync(hosts, cancellationToken);
        foreach (var authorizationUrl in order.Authorizations)
        {
            await AuthorizeAsync(client, config, authorizationUrl, challenge, cancellationToken);
        }

        order = await PollAsync(client, orderUrl, AcmeJson.Default.AcmeOrder, o => o.Status is AcmeStatus.Pending or AcmeStatus.Processing, "the order", cancellationToken);
        if (order.Status != AcmeStatus.Ready && order.Status != AcmeStatus.Valid)
        {
            throw new AcmeException($"the order for {string.Join(", ", hosts)} is {order.Status}", order.Error);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (order.Status == AcmeStatus.Ready)
        {
            var csr = new AcmeFinalize(System.Buffers.Text.Base64Url.EncodeToString(CreateSigningRequest(hosts, key)));
            (order, _) = await client.PostAsync(order.Finalize, AcmeClient.Serialize(csr, AcmeJson.Default.AcmeFinalize), AcmeJson.Default.AcmeOrder, "finalizing the order", cancellationToken);
            if (order.Status != AcmeStatus.Valid)
            {
                order = await PollAsync(client, orderUrl, AcmeJson.Default.AcmeOrder, o => o.Status is AcmeStatus.Ready or AcmeStatus.Processing, "the order", cancellationToken);
            }
        }
        else
        {
            // Valid before we finalized: another client holding this account finished it, with a key we do not have.
            throw new AcmeException($"the order for {string.Join(", ", hosts)} was already finalized elsewhere; a new order will follow");
        }

        if (order.Status != AcmeStatus.Valid || order.Certificate is null)
        {
            throw new AcmeException($"the order for {string.Join(", ", hosts)} ended {order.Status} without a certificate", order.Error);
        }

        var chain = await client.DownloadCertificateAsync(order.Certificate, cancellationToken);
        return (chain, key.ExportPkcs8PrivateKeyPem());
    }

    private async Task AuthorizeAsync(AcmeClient client, AcmeConfig config, Uri url, AcmeChallengeType type, CancellationToken cancellationToken)
    {
        var (authorization, _) = await client.GetAsync(url, AcmeJson.Default.AcmeAuthorization, "reading an authorization", cancellationToken);
        if (authorization.Status == AcmeStatus.Valid)
        {
            return; // CAs reuse recent validations; nothing to prove again.
        }

        var host = authorization.Identifier.Value;
        if (authorization.Status != AcmeStatus.Pending)
        {
            throw new AcmeException($"the authorization for {host} is {authorization.Status}") { ValidationFailed = true };
        }

        if (authorization.Wildcard)
        {
            type = AcmeChallengeType.Dns01;
        }

        var name = AcmeConfig.ChallengeName(type);
        var challenge = authorization.Challenges.FirstOrDefault(c => c.Type == name && c.Token is not null)
            ?? throw new AcmeException($"the CA does not offer {name} for {host}") { ValidationFailed = true };
        var keyAuthorization = AcmeJws.KeyAuthorization(challenge.Token!, client.AccountKey);

        if (type == AcmeChallengeType.Dns01)
        {
            authorization = await AnswerDnsAsync(client, config, url, host, challenge, keyAuthorization, cancellationToken);
        }
        else
        {
            using (type == AcmeChallengeType.Http01
            ? responses.AddHttp(challenge.Token!, keyAuthorization)
            : responses.AddTlsAlpn(host, TlsAlpnChallengeCertificate.Create(host, keyAuthorization, time.GetUtcNow())))
            {
                Log.ChallengeOpened(logger, host, name);
                await client.PostAsync(challenge.Url, AcmeClient.Serialize(new AcmeEmpty(), AcmeJson.Default.AcmeEmpty), AcmeJson.Default.AcmeChallenge, "answering the challenge", cancellationToken);
                authorization = await PollAsync(client, url, AcmeJson.Default.AcmeAuthorization, a => a.Status == AcmeStatus.Pending, "the authorization", cancellationToken);
            }
        }

        if (authorization.Status != AcmeStatus.Valid)
        {
            var problem = authorization.Challenges.FirstOrDefault(c => c.Type == name)?.Error;
            throw new AcmeException($"{name} for {host} failed ({authorization.Status})", problem) { ValidationFailed = true };
        }
    }

    /// <summary>
    /// dns-01 (RFC 8555 8.4): the TXT record at <c>_acme-challenge.{host}</c>, published and visible before the CA
    /// is told to look, and removed afterwards whatever happened; a failed removal is logged, never thrown over the
    /// order's own result.
    /// </summary>
    private async Task<AcmeAuthorization> AnswerDnsAsync(AcmeClient client, AcmeConfig config, Uri url, string host, AcmeChallenge challenge, string keyAuthorization, CancellationToken cancellationToken)
    {
        var dns = config.Dns ?? throw new AcmeException($"{host} needs dns-01, and Gateway:Acme:Dns is not set") { ValidationFailed = true };
        var provider = dnsProviders.Create(dns);
        var fqdn = "_acme-challenge." + host;
        var value = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(keyAuthorization)));
        try
        {
            await provider.PresentAsync(fqdn, value, cancellationToken);
            Log.ChallengeOpened(logger, host, "dns-01");
            await client.PostAsync(challenge.Url, AcmeClient.Serialize(new AcmeEmpty(), AcmeJson.Default.AcmeEmpty), AcmeJson.Default.AcmeChallenge, "answering the challenge", cancellationToken);
            return await PollAsync(client, url, AcmeJson.Default.AcmeAuthorization, a => a.Status == AcmeStatus.Pending, "the authorization", cancellationToken);
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(CleanupTimeout, time);
            try
            {
                await provider.CleanupAsync(fqdn, value, cleanup.Token);
                Log.DnsRecordRemoved(logger, fqdn);
            }
            catch (Exception e) when (e is AcmeException or OperationCanceledException or IOException or System.Net.Sockets.SocketException)
            {
                Log.DnsCleanupFailed(logger, fqdn, e is OperationCanceledException ? $"no answer within {CleanupTimeout.TotalSeconds:0} s" : e.Message);
            }
        }
    }

    private async Task<T> PollAsync<T>(AcmeClient client, Uri url, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Func<T, bool> waiting, string what, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + StepTimeout;
        while (true)
        {
            var (resource, retryAfter) = await client.GetAsync(url, type, "polling " + what, cancellationToken);
            if (!waiting(resource))
            {
                return resource;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new AcmeException($"{what} was still pending after {StepTimeout.TotalMinutes:0} minutes");
            }

            var delay = retryAfter is { } wait ? TimeSpan.FromTicks(Math.Clamp(wait.Ticks, DefaultPoll.Ticks, MaxPoll.Ticks)) : DefaultPoll;
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private static byte[] CreateSigningRequest(IReadOnlyList<string> hosts, ECDsa key)
    {
        // The CN is optional and limited to 64 characters; the SAN carries every name either way.
        var commonName = hosts.FirstOrDefault(h => h.Length <= 64);
        var subject = commonName is null ? new X500DistinguishedName("") : new X500DistinguishedName("CN=" + commonName);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            names.AddDnsName(host);
        }

        request.CertificateExtensions.Add(names.Build());
        return request.CreateSigningRequest();
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.AcmeChallengeOpened, LogLevel.Information, "ACME: answering {Challenge} for {Host}", EventName = "AcmeChallengeOpened")]
        public static partial void ChallengeOpened(ILogger logger, string host, string challenge);

        [LoggerMessage(LogEvents.AcmeChallengeFailed, LogLevel.Warning, "ACME: {Challenge} failed for {Hosts}: {Reason}", EventName = "AcmeChallengeFailed")]
        public static partial void ChallengeFailed(ILogger logger, string hosts, string challenge, string reason);

        [LoggerMessage(LogEvents.AcmeDnsRecordRemoved, LogLevel.Information, "ACME: TXT record {Name} removed", EventName = "AcmeDnsRecordRemoved")]
        public static partial void DnsRecordRemoved(ILogger logger, string name);

        [LoggerMessage(LogEvents.AcmeDnsCleanupFailed, LogLevel.Warning, "ACME: the TXT record {Name} could not be removed; remove it by hand: {Reason}", EventName = "AcmeDnsCleanupFailed")]
        public static partial void DnsCleanupFailed(ILogger logger, string name, string reason);
    }
}
