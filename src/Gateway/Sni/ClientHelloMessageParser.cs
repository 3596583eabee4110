namespace Gateway.Sni;

/// <summary>The ClientHello body grammar (RFC 8446 4.1.2, RFC 5246 7.4.1.2), up to the extensions block.</summary>
internal static class ClientHelloMessageParser
{
    private const int RandomLength = 32;
    private const int MaxSessionIdLength = 32;

    /// <param name="body">The handshake body: everything after the 4-byte handshake header, exactly as long as declared.</param>
    /// <param name="recordBytes">Reported back as <see cref="ClientHelloInfo.RecordBytes"/>.</param>
    public static ClientHelloResult Parse(ReadOnlySpan<byte> body, int recordBytes)
    {
        var reader = new TlsReader(body);
        if (!reader.TryReadUInt16(out var legacyVersion) || !reader.TryReadBytes(RandomLength, out _))
        {
            return Invalid(ClientHelloReasons.FixedFieldsTruncated);
        }

        if (!reader.TryReadVector8(out var sessionId))
        {
            return Invalid(ClientHelloReasons.SessionIdOverrun);
        }

        if (sessionId.Length > MaxSessionIdLength)
        {
            return Invalid(ClientHelloReasons.SessionIdTooLong);
        }

        if (!reader.TryReadVector16(out var cipherSuites))
        {
            return Invalid(ClientHelloReasons.CipherSuitesOverrun);
        }

        if (cipherSuites.IsEmpty || cipherSuites.Length % 2 != 0)
        {
            return Invalid(ClientHelloReasons.CipherSuitesLength);
        }

        if (!reader.TryReadVector8(out var compressionMethods))
        {
            return Invalid(ClientHelloReasons.CompressionOverrun);
        }

        if (compressionMethods.IsEmpty)
        {
            return Invalid(ClientHelloReasons.CompressionEmpty);
        }

        // Pre-extension clients (RFC 5246 7.4.1.2 "extensions_present") end the hello here.
        if (reader.IsEmpty)
        {
            return new ClientHelloResult(
                ClientHelloStatus.Complete,
                new ClientHelloInfo { LegacyVersion = legacyVersion, RecordBytes = recordBytes, Suites = ClientHelloExtensionParser.ReadSuites(cipherSuites) });
        }

        if (!reader.TryReadVector16(out var extensions) || !reader.IsEmpty)
        {
            return Invalid(ClientHelloReasons.ExtensionsLength);
        }

        return ClientHelloExtensionParser.Parse(extensions, legacyVersion, recordBytes, cipherSuites);
    }

    private static ClientHelloResult Invalid(string reason) => new(ClientHelloStatus.Invalid, Reason: reason);
}
