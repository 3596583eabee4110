using System.Net;
using System.Net.Sockets;

namespace Gateway.Configuration;

/// <summary>Client network lists (CIDR) as operators write them, and the one way they are matched.</summary>
internal static class Networks
{
    public static List<IPNetwork> Read(IConfigurationSection section, ConfigErrors errors)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in ConfigReader.Items(section))
        {
            if (TryParse(entry.Value, out var network))
            {
                networks.Add(network);
            }
            else
            {
                errors.Add(entry.Path, $"'{entry.Value}' is not a network in CIDR form (\"203.0.113.0/24\", \"2001:db8::/32\"; no host bits after the prefix) or an address; IPv4 is four decimal numbers without leading zeros");
            }
        }

        return networks;
    }

    /// <summary>An IPv4 client on a dual-stack socket (::ffff:a.b.c.d) as the IPv4 address it is, so one client has one spelling.</summary>
    public static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    /// <summary>
    /// The unit a limit applies to: an IPv4 address, or an IPv6 /64 - one subscriber's whole prefix, which a client
    /// can otherwise rotate through to get a fresh allowance per address.
    /// </summary>
    public static IPAddress Subscriber(IPAddress client)
    {
        client = Unmapped(client);
        if (client.AddressFamily != AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(client))
        {
            return client;
        }

        Span<byte> bytes = stackalloc byte[16];
        client.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>IPv4 clients on a dual-stack socket arrive as ::ffff:a.b.c.d; they match IPv4 networks.</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address)
    {
        if (address is null)
        {
            return false;
        }

        address = Unmapped(address);
        foreach (var network in networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A network in CIDR form or a single address. "10.0.0.1/8" is refused rather than read as all of 10.0.0.0/8:
    /// whoever wrote it meant something else.
    /// </summary>
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        if (text is null || !IsPlainAddress(text.Split('/')[0]))
        {
            return false;
        }

        if (IPNetwork.TryParse(text, out network))
        {
            return network.BaseAddress.Equals(IPAddress.Parse(text[..text.IndexOf('/', StringComparison.Ordinal)]));
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    /// <summary>
    /// IPv6, or IPv4 as four decimal numbers without leading zeros. The parser also takes inet_aton's forms, where
    /// "0177.0.0.1" and "0x7f.1" are 127.0.0.1 and "010.0.0.0" is 8.0.0.0: a list must mean what it seems to say.
    /// </summary>
    private static bool IsPlainAddress(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return true;
        }

        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0') && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);
    }
}
