using System.Buffers.Binary;
using System.Text;

namespace Gateway.Tests.Sni;

/// <summary>
/// Builds ClientHello handshake messages and frames them into TLS records, for parser and end-to-end tests.
/// Defaults produce a plausible TLS 1.3 hello (with SNI left unset). Every field can be overridden, including with
/// values the RFCs forbid, so tests can build broken hellos on purpose.
/// </summary>
public sealed class ClientHelloBuilder
{
    public const byte HandshakeRecordType = 22;
    public const byte ClientHelloType = 1;
    public const ushort ServerNameExtension = 0;
    public const ushort SupportedGroupsExtension = 10;
    public const ushort SignatureAlgorithmsExtension = 13;
    public const ushort AlpnExtension = 16;
    public const ushort PaddingExtension = 21;
    public const ushort SupportedVersionsExtension = 43;
    public const ushort KeyShareExtension = 51;

    /// <summary>legacy_record_version of the records <see cref="ToRecords"/> writes.</summary>
    public ushort RecordVersion { get; set; } = 0x0301;

    public ushort LegacyVersion { get; set; } = 0x0303;

    /// <summary>Must be 32 bytes for a valid hello; other lengths are written as given.</summary>
    public ReadOnlyMemory<byte> Random { get; set; } = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    public ReadOnlyMemory<byte> SessionId { get; set; } = Enumerable.Range(0xA0, 32).Select(i => (byte)i).ToArray();

    public IReadOnlyList<ushort> CipherSuites { get; set; } = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030];

    public ReadOnlyMemory<byte> CompressionMethods { get; set; } = new byte[] { 0 };

    /// <summary>host_name for server_name; null omits the extension.</summary>
    public string? ServerName { get; set; }

    /// <summary>ALPN protocol names in order; null (or empty) omits the extension.</summary>
    public IReadOnlyList<string>? ApplicationProtocols { get; set; }

    /// <summary>supported_versions in order; null (or empty) omits the extension.</summary>
    public IReadOnlyList<ushort>? SupportedVersions { get; set; } = [0x0304, 0x0303];

    /// <summary>Adds supported_groups, signature_algorithms and a dummy x25519 key_share, as real clients do.</summary>
    public bool IncludeTypicalExtensions { get; set; } = true;

    /// <summary>False ends the hello after compression methods (a pre-extension TLS 1.0-1.2 hello).</summary>
    public bool IncludeExtensionsBlock { get; set; } = true;

    /// <summary>Raw extensions written after the built-in ones (before padding), e.g. GREASE or duplicates.</summary>
    public IList<(ushort Type, byte[] Body)> ExtraExtensions { get; } = [];

    /// <summary>
    /// If set, a padding extension (21) makes the handshake message (4-byte header included) exactly this long.
    /// </summary>
    public int? PadHandshakeTo { get; set; }

    /// <summary>The handshake message: msg_type(1), uint24 length, ClientHello body.</summary>
    public byte[] BuildHandshake()
    {
        var body = BuildBody();
        var message = new byte[4 + body.Length];
        message[0] = ClientHelloType;
        WriteUInt24(message.AsSpan(1), body.Length);
        body.CopyTo(message, 4);
        return message;
    }

    /// <summary>The handshake message framed into records of at most <paramref name="fragmentSize"/> payload bytes.</summary>
    public byte[] ToRecords(int fragmentSize = 16384) => WrapInRecords(BuildHandshake(), fragmentSize, RecordVersion);

    /// <summary>Frames <paramref name="handshake"/> (any bytes) into handshake records of at most <paramref name="fragmentSize"/>.</summary>
    public static byte[] WrapInRecords(ReadOnlySpan<byte> handshake, int fragmentSize = 16384, ushort recordVersion = 0x0301)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fragmentSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fragmentSize, ushort.MaxValue);
        var output = new MemoryStream();
        Span<byte> header = stackalloc byte[5];
        for (var offset = 0; offset < handshake.Length; offset += fragmentSize)
        {
            var fragment = handshake.Slice(offset, Math.Min(fragmentSize, handshake.Length - offset));
            header[0] = HandshakeRecordType;
            BinaryPrimitives.WriteUInt16BigEndian(header[1..], recordVersion);
            BinaryPrimitives.WriteUInt16BigEndian(header[3..], (ushort)fragment.Length);
            output.Write(header);
            output.Write(fragment);
        }

        return output.ToArray();
    }

    /// <summary>
    /// Re-frames a hello as sent by a real client: the payloads of the leading handshake records are concatenated and
    /// split into records of at most <paramref name="fragmentSize"/> bytes, keeping the first record's version.
    /// Bytes after the leading handshake records are appended unchanged.
    /// </summary>
    public static byte[] SplitIntoRecords(byte[] recordBytes, int fragmentSize)
    {
        ArgumentNullException.ThrowIfNull(recordBytes);
        if (recordBytes.Length < 5 || recordBytes[0] != HandshakeRecordType)
        {
            throw new ArgumentException("Input does not start with a TLS handshake record.", nameof(recordBytes));
        }

        var recordVersion = BinaryPrimitives.ReadUInt16BigEndian(recordBytes.AsSpan(1));
        var payload = new MemoryStream();
        var offset = 0;
        while (recordBytes.Length - offset >= 5 && recordBytes[offset] == HandshakeRecordType)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(recordBytes.AsSpan(offset + 3));
            if (recordBytes.Length - offset - 5 < length)
            {
                throw new ArgumentException("Input ends inside a record.", nameof(recordBytes));
            }

            payload.Write(recordBytes, offset + 5, length);
            offset += 5 + length;
        }

        return [.. WrapInRecords(payload.ToArray(), fragmentSize, recordVersion), .. recordBytes.AsSpan(offset)];
    }

    private byte[] BuildBody()
    {
        var body = new MemoryStream();
        WriteUInt16(body, LegacyVersion);
        body.Write(Random.Span);
        WriteVector8(body, SessionId.Span);
        var suites = new byte[CipherSuites.Count * 2];
        for (var i = 0; i < CipherSuites.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(suites.AsSpan(i * 2), CipherSuites[i]);
        }

        WriteVector16(body, suites);
        WriteVector8(body, CompressionMethods.Span);
        if (!IncludeExtensionsBlock)
        {
            return body.ToArray();
        }

        var extensions = BuildExtensions();
        if (PadHandshakeTo is { } target)
        {
            // handshake header(4) + body so far + extensions length(2) + extensions + padding header(4).
            var padding = target - (4 + (int)body.Length + 2 + (int)extensions.Length + 4);
            if (padding < 0)
            {
                throw new InvalidOperationException($"The hello is already longer than {target} bytes without padding.");
            }

            WriteExtension(extensions, PaddingExtension, new byte[padding]);
        }

        WriteVector16(body, extensions.ToArray());
        return body.ToArray();
    }

    private MemoryStream BuildExtensions()
    {
        var extensions = new MemoryStream();
        if (ServerName is not null)
        {
            var entry = new MemoryStream();
            entry.WriteByte(0);
            WriteVector16(entry, Encoding.Latin1.GetBytes(ServerName));
            var list = new MemoryStream();
            WriteVector16(list, entry.ToArray());
            WriteExtension(extensions, ServerNameExtension, list.ToArray());
        }

        if (IncludeTypicalExtensions)
        {
            WriteExtension(extensions, SupportedGroupsExtension, [0x00, 0x06, 0x00, 0x1D, 0x00, 0x17, 0x00, 0x18]);
            WriteExtension(extensions, SignatureAlgorithmsExtension, [0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);
        }

        if (ApplicationProtocols is { Count: > 0 } protocols)
        {
            var names = new MemoryStream();
            foreach (var protocol in protocols)
            {
                WriteVector8(names, Encoding.Latin1.GetBytes(protocol));
            }

            var list = new MemoryStream();
            WriteVector16(list, names.ToArray());
            WriteExtension(extensions, AlpnExtension, list.ToArray());
        }

        if (SupportedVersions is { Count: > 0 } versions)
        {
            var list = new byte[versions.Count * 2];
            for (var i = 0; i < versions.Count; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(list.AsSpan(i * 2), versions[i]);
            }

            var vector = new MemoryStream();
            WriteVector8(vector, list);
            WriteExtension(extensions, SupportedVersionsExtension, vector.ToArray());
        }

        if (IncludeTypicalExtensions)
        {
            // group x25519, 32-byte key.
            byte[] share = [0x00, 0x24, 0x00, 0x1D, 0x00, 0x20, .. Enumerable.Repeat((byte)0x42, 32)];
            WriteExtension(extensions, KeyShareExtension, share);
        }

        foreach (var (type, extensionBody) in ExtraExtensions)
        {
            WriteExtension(extensions, type, extensionBody);
        }

        return extensions;
    }

    private static void WriteExtension(MemoryStream stream, ushort type, ReadOnlySpan<byte> body)
    {
        WriteUInt16(stream, type);
        WriteVector16(stream, body);
    }

    private static void WriteVector8(MemoryStream stream, ReadOnlySpan<byte> value)
    {
        stream.WriteByte((byte)value.Length);
        stream.Write(value);
    }

    private static void WriteVector16(MemoryStream stream, ReadOnlySpan<byte> value)
    {
        WriteUInt16(stream, (ushort)value.Length);
        stream.Write(value);
    }

    private static void WriteUInt16(MemoryStream stream, ushort value)
    {
        Span<byte> buffer = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(buffer, value);
        stream.Write(buffer);
    }

    private static void WriteUInt24(Span<byte> destination, int value)
    {
        destination[0] = (byte)(value >> 16);
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)value;
    }
}
