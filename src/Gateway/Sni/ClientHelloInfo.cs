namespace Gateway.Sni;

/// <summary>The routing-relevant fields of a ClientHello. Nothing here is validated against config.</summary>
internal sealed class ClientHelloInfo
{
    /// <summary>The connection item that carries a terminated connection's hello to TLS termination and the access log.</summary>
    public const string ItemKey = "Gateway.ClientHello";

    /// <summary>The host_name from server_name (RFC 6066), exactly as sent (case and trailing dot kept); null when absent.</summary>
    public string? ServerName { get; init; }

    /// <summary>The ALPN protocol names (RFC 7301) in the client's order; empty when the extension is absent.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = [];

    /// <summary>supported_versions (RFC 8446 4.2.1) in the client's order; empty when absent (TLS 1.2 and older).</summary>
    public IReadOnlyList<ushort> SupportedVersions { get; init; } = [];

    /// <summary>Which AES-GCM suites with ECDHE the client offers for TLS 1.2, and whether it offers a TLS 1.3 suite.</summary>
    public ClientHelloSuites Suites { get; init; }

    /// <summary>ClientHello.legacy_version.</summary>
    public ushort LegacyVersion { get; init; }

    /// <summary>How many bytes of input (record headers included) carried the ClientHello.</summary>
    public int RecordBytes { get; init; }
}
