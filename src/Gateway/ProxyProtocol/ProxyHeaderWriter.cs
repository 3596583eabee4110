using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Configuration;

namespace Gateway.ProxyProtocol;

/// <summary>Builds the PROXY header sent to a passthrough destination, naming the client Gateway accepted.</summary>
internal static class ProxyHeaderWriter
{
    private static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    public static byte[] V1(EndPoint? source, EndPoint? destination)
    {
        if (Normalize(source, destination) is not var (from, to))
        {
            return "PROXY UNKNOWN\r\n"u8.ToArray();
        }

        var family = from.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"PROXY {family} {from.Address} {to.Address} {from.Port} {to.Port}\r\n"));
    }

    public static byte[] V2(EndPoint? source, EndPoint? destination)
    {
        if (Normalize(source, destination) is not var (from, to))
        {
            var local = new byte[16];
            V2Signature.CopyTo(local);
            local[12] = 0x20; // version 2, LOCAL
            return local;
        }

        var ipv4 = from.AddressFamily == AddressFamily.InterNetwork;
        var addressLength = ipv4 ? 12 : 36;
        var header = new byte[16 + addressLength];
        V2Signature.CopyTo(header);
        header[12] = 0x21; // version 2, PROXY
        header[13] = ipv4 ? (byte)0x11 : (byte)0x21; // TCP over IPv4 / IPv6
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)addressLength);
        var size = ipv4 ? 4 : 16;
        from.Address.TryWriteBytes(header.AsSpan(16), out _);
        to.Address.TryWriteBytes(header.AsSpan(16 + size), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * size)), (ushort)from.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * size)), (ushort)to.Port);
        return header;
    }

    /// <summary>Both ends in one family (IPv4-mapped IPv6 written as IPv4); null when that is impossible.</summary>
    private static (IPEndPoint, IPEndPoint)? Normalize(EndPoint? source, EndPoint? destination)
    {
        if (source is not IPEndPoint from || destination is not IPEndPoint to)
        {
            return null;
        }

        from = new IPEndPoint(Plain(from.Address), from.Port);
        to = new IPEndPoint(Plain(to.Address), to.Port);

        if (from.AddressFamily != to.AddressFamily)
        {
            to = new IPEndPoint(from.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, to.Port);
        }

        return (from, to);
    }

    /// <summary>IPv4 when mapped, and without a zone ("fe80::1%2"): neither PROXY version can carry one.</summary>
    private static IPAddress Plain(IPAddress address)
    {
        address = Networks.Unmapped(address);
        return address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId == 0 ? address : new IPAddress(address.GetAddressBytes());
    }
}
