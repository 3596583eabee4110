using System.Buffers.Binary;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Sni;

/// <summary>
/// Validates the extensions block and extracts server_name, ALPN and supported_versions. Validation runs to the end
/// before anything is decoded, so a rejected hello allocates nothing.
/// </summary>
internal static class ClientHelloExtensionParser
{
    private const ushort ServerNameType = 0;
    private const ushort AlpnType = 16;
    private const ushort SupportedVersionsType = 43;
    private const byte HostNameType = 0;
    private const int MaxHostNameLength = 255;
    private const int MinAlpnListLength = 2;

    public static ClientHelloResult Parse(ReadOnlySpan<byte> extensions, ushort legacyVersion, int recordBytes, ReadOnlySpan<byte> cipherSuites)
    {
        // One bit per possible extension type: 8 KiB, but O(1) per extension however many a hostile hello sends.
        Span<ulong> seen = stackalloc ulong[(ushort.MaxValue + 1) / 64];
        ReadOnlySpan<byte> hostName = default;
        ReadOnlySpan<byte> protocols = default;
        ReadOnlySpan<byte> versions = default;
        var protocolCount = 0;

        var reader = new TlsReader(extensions);
        while (!reader.IsEmpty)
        {
            if (!reader.TryReadUInt16(out var type) || !reader.TryReadVector16(out var body))
            {
                return Invalid(ClientHelloReasons.ExtensionOverrun);
            }

            ref var word = ref seen[type >> 6];
            var bit = 1UL << (type & 63);
            if ((word & bit) != 0)
            {
                return Invalid(ClientHelloReasons.DuplicateExtension);
            }

            word |= bit;
            var error = type switch
            {
                ServerNameType => ValidateServerName(body, out hostName),
                AlpnType => ValidateAlpn(body, out protocols, out protocolCount),
                SupportedVersionsType => ValidateSupportedVersions(body, out versions),
                _ => null,
            };
            if (error is not null)
            {
                return Invalid(error);
            }
        }

        var info = new ClientHelloInfo
        {
            ServerName = hostName.IsEmpty ? null : Encoding.ASCII.GetString(hostName),
            ApplicationProtocols = protocolCount == 0 ? [] : DecodeProtocols(protocols, protocolCount),
            SupportedVersions = versions.IsEmpty ? [] : DecodeUInt16s(versions),
            LegacyVersion = legacyVersion,
            RecordBytes = recordBytes,
            Suites = ReadSuites(cipherSuites),
        };
        return new ClientHelloResult(ClientHelloStatus.Complete, info);
    }

    /// <summary>RFC 6066 3. <paramref name="hostName"/> is empty when the list holds no host_name entry.</summary>
    private static string? ValidateServerName(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> hostName)
    {
        hostName = default;
        if (body.IsEmpty)
        {
            // Only a ServerHello may echo server_name with an empty body.
            return ClientHelloReasons.ServerNameEmpty;
        }

        var reader = new TlsReader(body);
        if (!reader.TryReadVector16(out var list) || !reader.IsEmpty)
        {
            return ClientHelloReasons.ServerNameListLength;
        }

        if (list.IsEmpty)
        {
            return ClientHelloReasons.ServerNameListEmpty;
        }

        var entries = new TlsReader(list);
        while (!entries.IsEmpty)
        {
            if (!entries.TryReadUInt8(out var nameType) || !entries.TryReadVector16(out var name))
            {
                return ClientHelloReasons.ServerNameEntryOverrun;
            }

            if (name.IsEmpty)
            {
                return ClientHelloReasons.ServerNameEntryEmpty;
            }

            if (nameType != HostNameType)
            {
                continue;
            }

            if (!hostName.IsEmpty)
            {
                return ClientHelloReasons.MultipleHostNames;
            }

            if (name.Length > MaxHostNameLength)
            {
                return ClientHelloReasons.HostNameTooLong;
            }

            if (name.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
            {
                return ClientHelloReasons.HostNameNotPrintable;
            }

            if (HostNameError(name) is { } error)
            {
                return error;
            }

            hostName = name;
        }

        return null;
    }

    /// <summary>
    /// Connections are routed by this name, so one that is not a host name ("exchange.example..", ".example") or is an
    /// address (RFC 6066 3: "Literal IPv4 and IPv6 addresses are not permitted") is refused, not tunnelled or terminated.
    /// </summary>
    private static string? HostNameError(ReadOnlySpan<byte> name)
    {
        Span<char> chars = stackalloc char[MaxHostNameLength];
        var length = Encoding.ASCII.GetChars(name, chars);
        return HostNames.Classify(chars[..length], out _) switch
        {
            HostNameKind.Name => null,
            HostNameKind.AddressLiteral => ClientHelloReasons.HostNameAddress,
            _ => ClientHelloReasons.HostNameSyntax,
        };
    }

    /// <summary>RFC 7301 3.1.</summary>
    private static string? ValidateAlpn(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> list, out int count)
    {
        count = 0;
        var reader = new TlsReader(body);
        if (!reader.TryReadVector16(out list) || !reader.IsEmpty)
        {
            return ClientHelloReasons.AlpnListLength;
        }

        if (list.Length < MinAlpnListLength)
        {
            return ClientHelloReasons.AlpnListTooShort;
        }

        var names = new TlsReader(list);
        while (!names.IsEmpty)
        {
            if (!names.TryReadVector8(out var name))
            {
                return ClientHelloReasons.AlpnNameOverrun;
            }

            if (name.IsEmpty)
            {
                return ClientHelloReasons.AlpnNameEmpty;
            }

            count++;
        }

        return null;
    }

    /// <summary>RFC 8446 4.2.1: <c>ProtocolVersion versions&lt;2..254&gt;</c>.</summary>
    private static string? ValidateSupportedVersions(ReadOnlySpan<byte> body, out ReadOnlySpan<byte> versions)
    {
        var reader = new TlsReader(body);
        if (!reader.TryReadVector8(out versions) || !reader.IsEmpty)
        {
            return ClientHelloReasons.SupportedVersionsLength;
        }

        return versions.IsEmpty || versions.Length % 2 != 0 ? ClientHelloReasons.SupportedVersionsOdd : null;
    }

    private static string[] DecodeProtocols(ReadOnlySpan<byte> list, int count)
    {
        var result = new string[count];
        var reader = new TlsReader(list);
        for (var i = 0; i < result.Length && reader.TryReadVector8(out var name); i++)
        {
            result[i] = DecodeProtocol(name);
        }

        return result;
    }

    private static string DecodeProtocol(ReadOnlySpan<byte> name)
    {
        // The names nearly every client offers are returned as literals so the hot path does not allocate them.
        if (name.SequenceEqual("h2"u8))
        {
            return "h2";
        }

        if (name.SequenceEqual("http/1.1"u8))
        {
            return "http/1.1";
        }

        // Latin1 maps every byte to one char, so arbitrary (even binary) protocol names survive a round trip.
        return Encoding.Latin1.GetString(name);
    }

    /// <summary>The suites TLS termination asks about, from the hello's list (validated: an even, non-zero length).</summary>
    internal static ClientHelloSuites ReadSuites(ReadOnlySpan<byte> cipherSuites)
    {
        var found = ClientHelloSuites.None;
        for (var i = 0; i + 1 < cipherSuites.Length; i += 2)
        {
            found |= BinaryPrimitives.ReadUInt16BigEndian(cipherSuites[i..]) switch
            {
                0xC02B or 0xC02C => ClientHelloSuites.EcdsaGcm,
                0xC02F or 0xC030 => ClientHelloSuites.RsaGcm,
                >= 0x1301 and <= 0x1303 => ClientHelloSuites.Tls13,
                _ => ClientHelloSuites.None,
            };
        }

        return found;
    }

    private static ushort[] DecodeUInt16s(ReadOnlySpan<byte> versions)
    {
        var result = new ushort[versions.Length / 2];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = BinaryPrimitives.ReadUInt16BigEndian(versions[(i * 2)..]);
        }

        return result;
    }

    private static ClientHelloResult Invalid(string reason) => new(ClientHelloStatus.Invalid, Reason: reason);
}
