using Gateway.ProxyProtocol;

namespace Gateway.Fuzz.Targets;

/// <summary>
/// What every <see cref="ProxyHeaderParser.Parse"/> verdict must satisfy. The accepting middleware re-parses as bytes
/// arrive and acts on the first verdict that is not NeedMoreData, so a prefix's verdict must agree with the whole
/// input's; a header it accepts must be consumed exactly; and what it accepts must survive a write and re-parse.
/// </summary>
internal static class ProxyProtocolInvariants
{
    private const int DensePrefixes = 128;

    public static void Check(ReadOnlySpan<byte> data)
    {
        var whole = ProxyHeaderParser.Parse(data);
        Ensure(whole == ProxyHeaderParser.Parse(data), "parsing the same input twice gave different results");
        Ensure((whole.Status == ProxyHeaderStatus.Invalid) == (whole.Error is not null), "an error message belongs to Invalid, and only to it");

        if (whole.Status == ProxyHeaderStatus.Complete)
        {
            CheckComplete(data, whole);
        }

        var step = Math.Max(1, data.Length / DensePrefixes);
        for (var length = 0; length < data.Length; length += length < DensePrefixes ? 1 : step)
        {
            var prefix = ProxyHeaderParser.Parse(data[..length]);
            switch (prefix.Status)
            {
                case ProxyHeaderStatus.Complete:
                    Ensure(whole.Status == ProxyHeaderStatus.Complete && whole.Length == prefix.Length && Equals(whole.Source, prefix.Source),
                        $"the first {length} bytes were a complete header that the whole input does not agree with");
                    break;
                case ProxyHeaderStatus.Invalid:
                    Ensure(whole.Status == ProxyHeaderStatus.Invalid, $"the first {length} bytes were invalid but the whole input is {whole.Status}");
                    break;
                default:
                    Ensure(whole.Status != ProxyHeaderStatus.Complete || length < whole.Length,
                        $"the first {length} bytes hold the whole {whole.Length}-byte header but still need more data");
                    break;
            }
        }
    }

    private static void CheckComplete(ReadOnlySpan<byte> data, ProxyHeader header)
    {
        var version1 = data[0] == (byte)'P';
        Ensure(header.Length <= data.Length, "the header is longer than the input");
        Ensure(version1 ? header.Length is >= 8 and <= ProxyHeaderParser.MaxV1Length : header.Length is >= 16 and <= ProxyHeaderParser.MaxV2Length,
            $"a {(version1 ? "v1" : "v2")} header of {header.Length} bytes is outside the protocol's bounds");
        Ensure((header.Source is null) == (header.Destination is null), "a source without a destination, or the other way round");
        Ensure(ProxyHeaderParser.Parse(data[..header.Length]) == header, "the header alone does not parse as it did with bytes after it");

        if (version1 && data.StartsWith("PROXY TCP4 "u8) && header.Source is { } client && header.Destination is { } server)
        {
            // The spec's one IPv4 form is the canonical one: what was accepted is what the address prints as, so no
            // shortened, octal, hex or zero-padded spelling got through.
            var fields = System.Text.Encoding.ASCII.GetString(data[..(header.Length - 2)]).Split(' ');
            Ensure(fields.Length == 6 && fields[2] == client.Address.ToString() && fields[3] == server.Address.ToString()
                && fields[4] == client.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)
                && fields[5] == server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "a TCP4 line was accepted with an address or port not in its canonical form");
        }

        if (header.Source is { } source && header.Destination is { } destination)
        {
            Ensure(!source.Address.IsIPv4MappedToIPv6 && !destination.Address.IsIPv4MappedToIPv6, "an IPv4-mapped address was not made IPv4");
            var rewritten = version1 ? ProxyHeaderWriter.V1(source, destination) : ProxyHeaderWriter.V2(source, destination);
            var reparsed = ProxyHeaderParser.Parse(rewritten);

            // The client must survive; a destination of the other family (::ffff:a.b.c.d to an IPv6 one, unmapped) is
            // written as the unspecified address of the client's family, keeping its port.
            var sameFamily = source.AddressFamily == destination.AddressFamily;
            Ensure(reparsed.Status == ProxyHeaderStatus.Complete && reparsed.Length == rewritten.Length && Equals(reparsed.Source, source)
                && (sameFamily ? Equals(reparsed.Destination, destination) : reparsed.Destination?.Port == destination.Port),
                "the addresses do not survive a write and a re-parse");
        }
    }

    private static void Ensure(bool condition, string invariant)
    {
        if (!condition)
        {
            throw new InvariantViolationException(invariant);
        }
    }
}
