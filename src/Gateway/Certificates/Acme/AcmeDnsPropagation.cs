using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Asks DNS servers directly, without recursion or caches in between, whether a TXT record is there yet: the CA
/// asks the zone's authoritative servers, and is told to look only once every one of them has the answer.
/// </summary>
internal sealed class AcmeDnsPropagation(TimeProvider time)
{
    /// <summary>Between two rounds of questions; a secondary usually follows its primary's NOTIFY within seconds.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    /// <summary>One question's wait for an answer.</summary>
    public static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);

    /// <exception cref="AcmeException">Some server still lacks the value when <paramref name="timeout"/> has passed.</exception>
    public async Task WaitAsync(string fqdn, string value, IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var name = DomainName.Parse(fqdn.TrimEnd('.'));
        var deadline = time.GetUtcNow() + timeout;
        var pending = servers.ToList();
        while (true)
        {
            foreach (var server in pending.ToList())
            {
                var answer = await QueryAsync(server, name, RecordType.Txt, cancellationToken);
                if (answer is not null && answer.AnswerRecords.OfType<TxtRecord>().Any(r => r.Name.Equals(name) && r.TextData == value))
                {
                    pending.Remove(server);
                }
            }

            if (pending.Count == 0)
            {
                return;
            }

            if (time.GetUtcNow() >= deadline)
            {
                throw new AcmeException($"the TXT record {fqdn} did not show on {string.Join(", ", pending)} within {Duration.Format(timeout)} (Gateway:Acme:Dns:PropagationTimeout)") { ValidationFailed = true };
            }

            await Task.Delay(PollInterval, time, cancellationToken);
        }
    }

    /// <summary>One non-recursive question to one server, over UDP with TCP after truncation; null when it does not answer.</summary>
    public static async Task<DnsMessage?> QueryAsync(IPEndPoint server, DomainName name, RecordType type, CancellationToken cancellationToken)
    {
        using var client = CreateClient(server);
        return await client.ResolveAsync(name, type, RecordClass.INet, new DnsQueryOptions { IsRecursionDesired = false }, cancellationToken);
    }

    public static DnsClient CreateClient(IPEndPoint server) =>
        new([server.Address], [new UdpClientTransport(server.Port), new TcpClientTransport(server.Port)], disposeTransport: true, (int)QueryTimeout.TotalMilliseconds);
}
