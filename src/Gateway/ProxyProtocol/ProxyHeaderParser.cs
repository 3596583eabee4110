using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Gateway.Configuration;

namespace Gateway.ProxyProtocol;

/// <summary>
/// The PROXY protocol header (HAProxy's spec, versions 1 and 2) that a load balancer puts in front of a TCP
/// stream to name the original client. Pure and allocation-light: the caller peeks, this says how much to consume.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>v1 lines are at most 107 bytes, CRLF included.</summary>
    public const int MaxV1Length = 107;

    /// <summary>v2: 16 fixed bytes plus addresses and TLVs; more than this is not a header a load balancer sends.</summary>
    public const int MaxV2Length = 16 + 4096;

    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    public static ProxyHeader Parse(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return ProxyHeader.NeedMore;
        }

        var v2 = input[..Math.Min(input.Length, V2Signature.Length)];
        if (V2Signature.StartsWith(v2))
        {
            return v2.Length < V2Signature.Length ? ProxyHeader.NeedMore : ParseV2(input);
        }

        var v1 = input[..Math.Min(input.Length, V1Prefix.Length)];
        if (V1Prefix.StartsWith(v1))
        {
            return v1.Length < V1Prefix.Length ? ProxyHeader.NeedMore : ParseV1(input);
        }

        return ProxyHeader.Invalid("not a PROXY protocol header");
    }

    private static ProxyHeader ParseV2(ReadOnlySpan<byte> input)
    {
        if (input.Length < 16)
        {
            return ProxyHeader.NeedMore;
        }

        var versionCommand = input[12];
        if (versionCommand >> 4 != 2)
        {
            return ProxyHeader.Invalid("PROXY v2: unsupported version");
        }

        var command = versionCommand & 0x0F;
        if (command > 1)
        {
            return ProxyHeader.Invalid("PROXY v2: unknown command");
        }

        var family = input[13];
        var length = 16 + BinaryPrimitives.ReadUInt16BigEndian(input[14..]);
        if (length > MaxV2Length)
        {
            return ProxyHeader.Invalid("PROXY v2: header too long");
        }

        if (input.Length < length)
        {
            return ProxyHeader.NeedMore;
        }

        var addresses = input[16..length];
        if (command == 0)
        {
            return new ProxyHeader(ProxyHeaderStatus.Complete, length, null, null, null); // LOCAL: the balancer's own connection
        }

        switch (family)
        {
            case 0x11 when addresses.Length >= 12: // TCP over IPv4
                return new ProxyHeader(ProxyHeaderStatus.Complete, length,
                    new IPEndPoint(new IPAddress(addresses[..4]), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..])),
                    new IPEndPoint(new IPAddress(addresses[4..8]), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..])), null);
            case 0x21 when addresses.Length >= 36: // TCP over IPv6
                // ::ffff:a.b.c.d is the IPv4 client a.b.c.d from here on (found by fuzzing: two spellings counted as two clients).
                return new ProxyHeader(ProxyHeaderStatus.Complete, length,
                    new IPEndPoint(Networks.Unmapped(new IPAddress(addresses[..16])), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..])),
                    new IPEndPoint(Networks.Unmapped(new IPAddress(addresses[16..32])), BinaryPrimitives.ReadUInt16BigEndian(addresses[34..])), null);
            case 0x00: // UNSPEC: keep the connection's own address
                return new ProxyHeader(ProxyHeaderStatus.Complete, length, null, null, null);
            default:
                return ProxyHeader.Invalid("PROXY v2: unsupported address family or short address block");
        }
    }

    private static ProxyHeader ParseV1(ReadOnlySpan<byte> input)
    {
        var end = input[..Math.Min(input.Length, MaxV1Length)].IndexOf("\r\n"u8);
        if (end < 0)
        {
            return input.Length >= MaxV1Length ? ProxyHeader.Invalid("PROXY v1: no CRLF within 107 bytes") : ProxyHeader.NeedMore;
        }

        var line = input[V1Prefix.Length..end];
        if (line.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E))
        {
            return ProxyHeader.Invalid("PROXY v1: not a text line");
        }

        // "UNKNOWN": the receiver ignores whatever follows, up to the CRLF (the spec, 2.1).
        if (line.SequenceEqual("UNKNOWN"u8) || line.StartsWith("UNKNOWN "u8))
        {
            return new ProxyHeader(ProxyHeaderStatus.Complete, end + 2, null, null, null);
        }

        // Exactly one space between fields, none before or after, and nothing more than the five of them.
        if (line.IsEmpty || line[0] == ' ' || line[^1] == ' ' || line.IndexOf("  "u8) >= 0)
        {
            return ProxyHeader.Invalid("PROXY v1: expected \"PROXY TCP4|TCP6 source destination sport dport\", one space apart");
        }

        var protocol = NextField(ref line);
        var sourceText = NextField(ref line);
        var destinationText = NextField(ref line);
        var sourcePortText = NextField(ref line);
        var destinationPortText = NextField(ref line);
        if (destinationPortText.IsEmpty || !line.IsEmpty)
        {
            return ProxyHeader.Invalid("PROXY v1: expected \"PROXY TCP4|TCP6 source destination sport dport\", one space apart");
        }

        var ipv4 = protocol.SequenceEqual("TCP4"u8);
        if (!ipv4 && !protocol.SequenceEqual("TCP6"u8))
        {
            return ProxyHeader.Invalid("PROXY v1: the protocol is not TCP4, TCP6 or UNKNOWN");
        }

        IPAddress? source;
        IPAddress? destination;
        if (ipv4 ? !TryParseIPv4(sourceText, out source) || !TryParseIPv4(destinationText, out destination)
            : !TryParseIPv6(sourceText, out source) || !TryParseIPv6(destinationText, out destination))
        {
            return ProxyHeader.Invalid(ipv4
                ? "PROXY v1: a TCP4 address is not four decimal numbers 0-255 without leading zeros"
                : "PROXY v1: a TCP6 address is not an IPv6 address");
        }

        if (!TryParsePort(sourcePortText, out var sourcePort) || !TryParsePort(destinationPortText, out var destinationPort))
        {
            return ProxyHeader.Invalid("PROXY v1: a port is not a decimal number 0-65535 without sign or leading zeros");
        }

        return new ProxyHeader(ProxyHeaderStatus.Complete, end + 2, new IPEndPoint(Networks.Unmapped(source), sourcePort), new IPEndPoint(Networks.Unmapped(destination), destinationPort), null);
    }

    /// <summary>The text up to the next space, which is consumed with it; the rest of the line when there is none.</summary>
    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> line)
    {
        var space = line.IndexOf((byte)' ');
        var field = space < 0 ? line : line[..space];
        line = space < 0 ? default : line[(space + 1)..];
        return field;
    }

    /// <summary>
    /// The spec's IPv4 form: exactly four decimal numbers 0-255, one dot apart, without leading zeros. Not
    /// <see cref="IPAddress.TryParse(string, out IPAddress)"/>, which also takes "127.1", "0x7f.0.0.1" and "0177.0.0.1".
    /// </summary>
    private static bool TryParseIPv4(ReadOnlySpan<byte> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        if (!TryParseDottedQuad(text, bytes))
        {
            return false;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static bool TryParseDottedQuad(ReadOnlySpan<byte> text, Span<byte> bytes)
    {
        var octet = 0;
        for (var remaining = text; ; octet++)
        {
            var dot = remaining.IndexOf((byte)'.');
            var number = dot < 0 ? remaining : remaining[..dot];
            if (octet > 3 || number.Length is 0 or > 3 || (number.Length > 1 && number[0] == '0')
                || number.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return false;
            }

            var value = 0;
            foreach (var digit in number)
            {
                value = (value * 10) + (digit - '0');
            }

            if (value > 255)
            {
                return false;
            }

            bytes[octet] = (byte)value;
            if (dot < 0)
            {
                return octet == 3;
            }

            remaining = remaining[(dot + 1)..];
        }
    }

    /// <summary>
    /// IPv6 as inet_pton reads it: up to eight groups of one to four hex digits, one "::" for one or more zero groups, an
    /// optional dotted-quad IPv4 tail. No brackets, zone ("%eth0"), prefix length or port, which IPAddress.TryParse takes.
    /// </summary>
    private static bool TryParseIPv6(ReadOnlySpan<byte> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        var i = 0;
        if (text.StartsWith((byte)':'))
        {
            if (!text.StartsWith("::"u8))
            {
                return false;
            }

            i = 1;
        }

        var written = 0;
        var gap = -1;
        var groupStart = i;
        var value = 0;
        var digits = 0;
        while (i < text.Length)
        {
            var c = text[i++];
            var hex = HexValue(c);
            if (hex >= 0)
            {
                if (++digits > 4)
                {
                    return false;
                }

                value = (value << 4) | hex;
                continue;
            }

            if (c == ':')
            {
                groupStart = i;
                if (digits == 0)
                {
                    if (gap >= 0)
                    {
                        return false; // a second "::", or ":::"
                    }

                    gap = written;
                    continue;
                }

                if (i == text.Length || written + 2 > 16)
                {
                    return false; // a trailing single colon, or a ninth group
                }

                bytes[written++] = (byte)(value >> 8);
                bytes[written++] = (byte)value;
                value = 0;
                digits = 0;
                continue;
            }

            // An IPv4 tail: from the start of this group to the end.
            if (c == '.' && written + 4 <= 16 && TryParseDottedQuad(text[groupStart..], bytes.Slice(written, 4)))
            {
                written += 4;
                digits = 0;
                break;
            }

            return false;
        }

        if (digits > 0)
        {
            if (written + 2 > 16)
            {
                return false;
            }

            bytes[written++] = (byte)(value >> 8);
            bytes[written++] = (byte)value;
        }

        if (gap >= 0)
        {
            if (written == 16)
            {
                return false; // "::" must stand for at least one group
            }

            var tail = written - gap;
            bytes.Slice(gap, tail).CopyTo(bytes[(16 - tail)..]);
            bytes[gap..(16 - tail)].Clear();
            written = 16;
        }

        if (written != 16)
        {
            return false;
        }

        address = new IPAddress(bytes);
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>Decimal 0-65535 without sign, spaces or leading zeros (the spec forbids them).</summary>
    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0') || text.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return false;
        }

        foreach (var digit in text)
        {
            port = (port * 10) + (digit - '0');
        }

        return port <= 65535;
    }
}
