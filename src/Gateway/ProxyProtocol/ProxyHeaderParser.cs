using System.Buffers.Binary;
using System.Net;
using System.Text;
using Gateway.Configuration;

namespace Gateway.ProxyProtocol;

internal enum ProxyHeaderStatus
{
    /// <summary>What arrived so far is a valid beginning; read more.</summary>
    NeedMoreData,

    /// <summary>Not a PROXY header, or a malformed one: close the connection.</summary>
    Invalid,

    Complete,
}

/// <param name="Source">The original client; null for v2 LOCAL and v1 UNKNOWN (the connection is the sender's own: keep its address).</param>
/// <param name="Length">Bytes the header occupies, to consume before anything else is read.</param>
internal readonly record struct ProxyHeader(ProxyHeaderStatus Status, int Length, IPEndPoint? Source, IPEndPoint? Destination, string? Error)
{
    public static ProxyHeader NeedMore => new(ProxyHeaderStatus.NeedMoreData, 0, null, null, null);

    public static ProxyHeader Invalid(string error) => new(ProxyHeaderStatus.Invalid, 0, null, null, error);
}

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
        foreach (var b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return ProxyHeader.Invalid("PROXY v1: not a text line");
            }
        }

        var parts = Encoding.ASCII.GetString(line).Split(' ');
        if (parts is ["UNKNOWN", ..])
        {
            return new ProxyHeader(ProxyHeaderStatus.Complete, end + 2, null, null, null);
        }

        if (parts.Length != 5 || parts[0] is not ("TCP4" or "TCP6")
            || !IPAddress.TryParse(parts[1], out var source) || !IPAddress.TryParse(parts[2], out var destination)
            || !TryParsePort(parts[3], out var sourcePort) || !TryParsePort(parts[4], out var destinationPort))
        {
            return ProxyHeader.Invalid("PROXY v1: expected \"PROXY TCP4|TCP6 source destination sport dport\"");
        }

        var family = parts[0] == "TCP4" ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (source.AddressFamily != family || destination.AddressFamily != family)
        {
            return ProxyHeader.Invalid("PROXY v1: addresses do not match the protocol family");
        }

        return new ProxyHeader(ProxyHeaderStatus.Complete, end + 2, new IPEndPoint(Networks.Unmapped(source), sourcePort), new IPEndPoint(Networks.Unmapped(destination), destinationPort), null);
    }

    /// <summary>Decimal 0-65535 without sign, spaces or leading zeros (the spec forbids them).</summary>
    private static bool TryParsePort(string text, out int port)
    {
        port = 0;
        if (text.Length is 0 or > 5 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit))
        {
            return false;
        }

        port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return port <= 65535;
    }
}
