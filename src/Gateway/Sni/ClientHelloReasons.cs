namespace Gateway.Sni;

/// <summary>
/// The <see cref="ClientHelloResult.Reason"/> texts. Constants so that rejecting a hostile or broken hello never allocates.
/// </summary>
internal static class ClientHelloReasons
{
    // NotTls
    public const string NotHandshakeRecord = "not a TLS handshake record";
    public const string SslV2Hello = "SSLv2-compatible ClientHello";

    // Record layer. RecordVersion is NotTls on the first record and Invalid on a continuation record.
    public const string RecordVersion = "record version is not 3.0-3.4";

    // Invalid: record layer
    public const string RecordLengthZero = "record length is zero";
    public const string RecordLengthTooLarge = "record length exceeds 2^14";
    public const string NonHandshakeRecord = "non-handshake record before the ClientHello completed";
    public const string BytesAfterClientHello = "handshake records carry bytes beyond the ClientHello";

    // Invalid: handshake message
    public const string NotClientHello = "handshake type is not client_hello";
    public const string HandshakeTooShort = "handshake length is too short for a ClientHello";
    public const string FixedFieldsTruncated = "ClientHello ends inside legacy_version or random";
    public const string SessionIdOverrun = "legacy_session_id overruns the ClientHello";
    public const string SessionIdTooLong = "legacy_session_id is longer than 32 bytes";
    public const string CipherSuitesOverrun = "cipher_suites overruns the ClientHello";
    public const string CipherSuitesLength = "cipher_suites length is zero or odd";
    public const string CompressionOverrun = "legacy_compression_methods overruns the ClientHello";
    public const string CompressionEmpty = "legacy_compression_methods is empty";
    public const string ExtensionsLength = "extensions length does not end where the ClientHello ends";
    public const string ExtensionOverrun = "extension overruns the extensions block";
    public const string DuplicateExtension = "duplicate extension";

    // Invalid: server_name (RFC 6066 3)
    public const string ServerNameEmpty = "server_name extension is empty";
    public const string ServerNameListLength = "server_name_list length does not match the extension";
    public const string ServerNameListEmpty = "server_name_list is empty";
    public const string ServerNameEntryOverrun = "server_name entry overruns server_name_list";
    public const string ServerNameEntryEmpty = "server_name entry has an empty name";
    public const string MultipleHostNames = "server_name has more than one host_name";
    public const string HostNameTooLong = "server_name host_name is longer than 255 bytes";
    public const string HostNameNotPrintable = "server_name host_name is not printable ASCII";
    public const string HostNameSyntax = "server_name host_name is not a host name (empty label, label over 63 or name over 253 characters, or a character other than letters, digits, '-' and '_')";
    public const string HostNameAddress = "server_name host_name is an IP address literal (RFC 6066 3)";

    // Invalid: application_layer_protocol_negotiation (RFC 7301)
    public const string AlpnListLength = "protocol_name_list length does not match the extension";
    public const string AlpnListTooShort = "protocol_name_list is shorter than 2 bytes";
    public const string AlpnNameOverrun = "ALPN protocol name overruns protocol_name_list";
    public const string AlpnNameEmpty = "ALPN protocol name is empty";

    // Invalid: supported_versions (RFC 8446 4.2.1)
    public const string SupportedVersionsLength = "supported_versions length does not match the extension";
    public const string SupportedVersionsOdd = "supported_versions list is empty or has an odd length";

    // TooLarge
    public const string HandshakeLengthTooLarge = "declared handshake length exceeds 65536";
    public const string DeclaredSizeOverCap = "declared ClientHello size exceeds the byte cap";
    public const string IncompleteAtCap = "ClientHello still incomplete at the byte cap";
}
