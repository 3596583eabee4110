using System.Net;

namespace Gateway.Certificates.Acme;

/// <summary><c>Gateway:Acme:Dns</c>: where dns-01 answers are published.</summary>
/// <param name="Server">RFC 2136: the primary server that takes updates.</param>
/// <param name="TsigKeyName">RFC 2136: the TSIG key's name, as the server knows it.</param>
/// <param name="TsigAlgorithm">RFC 2136: the TSIG algorithm's name ("hmac-sha256").</param>
/// <param name="TsigSecret">RFC 2136: the key itself. Never logged, never shown.</param>
/// <param name="Zone">RFC 2136: the zone updated; null: found from the SOA of the record's name.</param>
/// <param name="PropagationServers">Servers asked for the record before the CA is told to look; empty: the zone's NS (RFC 2136) or none (Exec).</param>
/// <param name="PropagationTimeout">How long the record may take to show on every one of them.</param>
/// <param name="Command">Exec: the program's full path.</param>
/// <param name="CommandTimeout">Exec: how long one call may run before it is killed.</param>
internal sealed record AcmeDnsConfig(
    AcmeDnsProviderKind Provider,
    IPEndPoint? Server,
    string? TsigKeyName,
    string TsigAlgorithm,
    byte[]? TsigSecret,
    string? Zone,
    IReadOnlyList<IPEndPoint> PropagationServers,
    TimeSpan PropagationTimeout,
    string? Command,
    TimeSpan CommandTimeout)
{
    public const string DefaultTsigAlgorithm = "hmac-sha256";

    /// <summary>TSIG algorithms offered; hmac-sha384 is missing because the DNS library computes it with SHA-256.</summary>
    public static readonly IReadOnlyList<string> TsigAlgorithms = ["hmac-sha256", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"];

    /// <summary>The secret stays out of ToString (and so out of every log line and exception that prints the record).</summary>
    public override string ToString() => $"{Provider} {Server} {TsigKeyName} {TsigAlgorithm} {Zone} {Command}";
}
