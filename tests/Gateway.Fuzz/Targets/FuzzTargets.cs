namespace Gateway.Fuzz.Targets;

/// <summary>Runs one input through a parser and throws if any invariant fails. Must be deterministic.</summary>
internal delegate void FuzzCheck(ReadOnlySpan<byte> data);

/// <param name="Name">The command-line name, also the folder under tests/fuzz/corpus holding its seeds.</param>
/// <param name="Check">The harness body: parse and check invariants, throwing on any violation.</param>
/// <param name="InstrumentPrefixes">The namespaces or classes of Gateway.dll that sharpfuzz instruments for coverage.</param>
internal sealed record FuzzTarget(string Name, FuzzCheck Check, IReadOnlyList<string> InstrumentPrefixes);

/// <summary>
/// Every fuzz target. Compiled into both Gateway.Fuzz (the AFL harness) and Gateway.Tests (which replays the
/// committed corpus through the same checks), so a new target is one entry here plus a corpus folder.
/// </summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("clienthello", ClientHelloInvariants.Check, ["Gateway.Sni"]),
        new("proxyprotocol", ProxyProtocolInvariants.Check, ["Gateway.ProxyProtocol"]),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(target => target.Name == name);
}
