using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using ARSoft.Tools.Net.Dns.DynamicUpdate;
using Gateway.Diagnostics;

namespace Gateway.Certificates.Acme;

/// <summary>
/// dns-01 through RFC 2136 dynamic updates signed with TSIG (RFC 8945), sent to the zone's primary: the zone is
/// configured or found from the SOA, and the record must show on the zone's authoritative servers before the CA looks.
/// </summary>
internal sealed partial class AcmeRfc2136Provider(AcmeDnsConfig config, AcmeDnsPropagation propagation, TimeProvider time, ILogger<AcmeRfc2136Provider> logger) : IAcmeDnsProvider
{
    /// <summary>Short: a resolver that cached the record must not hold it long after it is gone.</summary>
    private const int RecordTtl = 60;

    /// <summary>The signature's validity either side of its time (RFC 8945 5.2.3 recommends 300 s).</summary>
    private static readonly TimeSpan Fudge = TimeSpan.FromMinutes(5);

    private readonly IPEndPoint _server = config.Server ?? throw new ArgumentException("the Rfc2136 provider needs a server", nameof(config));
    private readonly ConcurrentDictionary<string, DomainName> _zones = new(StringComparer.OrdinalIgnoreCase);

    public async Task PresentAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        var name = DomainName.Parse(fqdn.TrimEnd('.'));
        var zone = await ZoneAsync(name, cancellationToken);
        await UpdateAsync(zone, new AddRecordUpdate(new TxtRecord(name, RecordTtl, value)), $"adding the TXT record {fqdn}", cancellationToken);
        Log.Published(logger, fqdn, zone.ToString(false), _server);

        var servers = config.PropagationServers.Count > 0 ? config.PropagationServers : await AuthoritativeServersAsync(zone, cancellationToken);
        await propagation.WaitAsync(fqdn, value, servers, config.PropagationTimeout, cancellationToken);
    }

    public async Task CleanupAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        var name = DomainName.Parse(fqdn.TrimEnd('.'));
        var zone = await ZoneAsync(name, cancellationToken);
        // This value only: another order for the same name (a wildcard and its base name) may have its own there.
        await UpdateAsync(zone, new DeleteRecordUpdate(new TxtRecord(name, 0, value)), $"removing the TXT record {fqdn}", cancellationToken);
    }

    /// <summary>The configured zone, else the SOA's owner found by asking the server for the name and then its parents.</summary>
    private async Task<DomainName> ZoneAsync(DomainName name, CancellationToken cancellationToken)
    {
        if (config.Zone is { } configured)
        {
            return DomainName.Parse(configured);
        }

        if (_zones.TryGetValue(name.ToString(false), out var known))
        {
            return known;
        }

        for (var candidate = name; candidate.LabelCount > 0; candidate = candidate.GetParentName())
        {
            var answer = await AcmeDnsPropagation.QueryAsync(_server, candidate, RecordType.Soa, cancellationToken)
                ?? throw new AcmeException($"the DNS server {_server} did not answer (asking for the SOA of {candidate})") { ValidationFailed = true };
            // An authoritative server answers a name inside its zone with the zone's SOA: as the answer for the apex,
            // in the authority section for any other name (NXDOMAIN or no data).
            var soa = answer.AnswerRecords.OfType<SoaRecord>().FirstOrDefault(r => r.Name.Equals(candidate))
                ?? (answer.ReturnCode is ReturnCode.NoError or ReturnCode.NxDomain ? answer.AuthorityRecords.OfType<SoaRecord>().FirstOrDefault(r => name.IsEqualOrSubDomainOf(r.Name)) : null);
            if (soa is not null)
            {
                _zones[name.ToString(false)] = soa.Name;
                return soa.Name;
            }
        }

        throw new AcmeException($"the DNS server {_server} is authoritative for no zone above {name.ToString(false)}; set Gateway:Acme:Dns:Zone, or point Server at the zone's primary") { ValidationFailed = true };
    }

    /// <summary>The zone's NS, on port 53: their addresses from the server itself (names inside the zone), else the system resolver.</summary>
    private async Task<List<IPEndPoint>> AuthoritativeServersAsync(DomainName zone, CancellationToken cancellationToken)
    {
        var answer = await AcmeDnsPropagation.QueryAsync(_server, zone, RecordType.Ns, cancellationToken);
        var servers = new List<IPEndPoint>();
        foreach (var ns in answer?.AnswerRecords.OfType<NsRecord>() ?? [])
        {
            var addresses = new List<IPAddress>();
            foreach (var type in new[] { RecordType.A, RecordType.Aaaa })
            {
                if (ns.NameServer.IsEqualOrSubDomainOf(zone) && await AcmeDnsPropagation.QueryAsync(_server, ns.NameServer, type, cancellationToken) is { } glue)
                {
                    addresses.AddRange(glue.AnswerRecords.OfType<IAddressRecord>().Select(r => r.Address));
                }
            }

            if (addresses.Count == 0)
            {
                try
                {
                    addresses.AddRange(await System.Net.Dns.GetHostAddressesAsync(ns.NameServer.ToString(false), cancellationToken));
                }
                catch (SocketException e)
                {
                    throw new AcmeException($"the name server {ns.NameServer.ToString(false)} of {zone.ToString(false)} cannot be resolved ({e.Message}); list the servers to check in Gateway:Acme:Dns:PropagationServers") { ValidationFailed = true };
                }
            }

            servers.AddRange(addresses.Distinct().Select(a => new IPEndPoint(a, 53)));
        }

        // A zone whose NS the server does not give (a stealth primary setup) is checked on the server itself.
        return servers.Count > 0 ? servers : [_server];
    }

    private async Task UpdateAsync(DomainName zone, UpdateBase update, string what, CancellationToken cancellationToken)
    {
        var message = new DnsUpdateMessage { ZoneName = zone, TransactionID = (ushort)RandomNumberGenerator.GetInt32(1, 0xffff) };
        message.Updates.Add(update);
        message.TSigOptions = new TSigRecord(DomainName.Parse(config.TsigKeyName!), Algorithm(config.TsigAlgorithm), time.GetUtcNow().UtcDateTime, Fudge,
            message.TransactionID, ReturnCode.NoError, null, config.TsigSecret);

        using var client = AcmeDnsPropagation.CreateClient(_server);
        var response = await client.SendUpdateAsync(message, cancellationToken)
            ?? throw new AcmeException($"{what}: the DNS server {_server} did not answer the update within {AcmeDnsPropagation.QueryTimeout.TotalSeconds:0} s") { ValidationFailed = true };
        if (response.ReturnCode != ReturnCode.NoError)
        {
            var tsig = response.TSigOptions is { Error: not ReturnCode.NoError } signature ? $", TSIG {TsigProblem((int)signature.Error)}" : "";
            throw new AcmeException($"{what}: the DNS server {_server} refused the update of zone {zone.ToString(false)} ({RcodeName((int)response.ReturnCode)}{tsig})") { ValidationFailed = true };
        }
    }

    /// <summary>The RFC names: the library's enum gives one value two names (16 is BADVERS for EDNS, BADSIG for TSIG).</summary>
    private static string RcodeName(int code) => code switch
    {
        1 => "FORMERR",
        2 => "SERVFAIL: the server could not apply it; its log says why",
        3 => "NXDOMAIN",
        4 => "NOTIMP: the server does not take dynamic updates",
        5 => "REFUSED: the server's update policy does not let this key change this name (allow-update, update-policy)",
        8 => "NXRRSET",
        9 => "NOTAUTH: the server is not authoritative for the zone, or refused the signature",
        10 => "NOTZONE: the name is outside the zone (Gateway:Acme:Dns:Zone)",
        _ => "rcode " + code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string TsigProblem(int error) => error switch
    {
        16 => "BADSIG: the server holds another secret for this key name (TsigSecret)",
        17 => "BADKEY: the server knows no key of this name and algorithm (TsigKeyName, TsigAlgorithm)",
        18 => "BADTIME: this machine's clock and the server's differ by more than 5 minutes",
        _ => "error " + error.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static TSigAlgorithm Algorithm(string name) => name switch
    {
        "hmac-sha512" => TSigAlgorithm.Sha512,
        "hmac-sha224" => TSigAlgorithm.Sha224,
        "hmac-sha1" => TSigAlgorithm.Sha1,
        "hmac-md5" => TSigAlgorithm.Md5,
        _ => TSigAlgorithm.Sha256,
    };

    private static partial class Log
    {
        [LoggerMessage(LogEvents.AcmeDnsRecordPublished, LogLevel.Information, "ACME: TXT record {Name} added to zone {Zone} on {Server}", EventName = "AcmeDnsRecordPublished")]
        public static partial void Published(ILogger logger, string name, string zone, IPEndPoint server);
    }
}
