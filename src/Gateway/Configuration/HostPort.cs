using System.Globalization;
using System.Net;

namespace Gateway.Configuration;

/// <summary>An "address:port" pair as written in config: "127.0.0.1:443", "[::1]:443", "exchange.internal:443".</summary>
internal sealed record HostPort(string Host, int Port)
{
    /// <summary>The host as an IP address, when it is a literal.</summary>
    public IPAddress? Address { get; } = IPAddress.TryParse(Host, out var ip) ? ip : null;

    public static bool TryParse(string? text, out HostPort? value, out string? error)
    {
        value = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an address is required, as \"host:port\"";
            return false;
        }

        text = text.Trim();
        string host;
        string port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not \"[ipv6]:port\"";
                return false;
            }

            host = text[1..close];
            port = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' in '{text}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"'{text}' is not \"host:port\" (write IPv6 addresses as \"[::1]:443\")";
                return false;
            }

            host = text[..colon];
            port = text[(colon + 1)..];
            if (!IsHostName(host) && !IPAddress.TryParse(host, out _))
            {
                error = $"'{host}' in '{text}' is neither an IP address nor a host name";
                return false;
            }
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 0 or > 65535)
        {
            error = $"'{port}' in '{text}' is not a port number (0-65535)";
            return false;
        }

        value = new HostPort(host, number);
        return true;
    }

    public override string ToString() => Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 }
        ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    private static bool IsHostName(string host)
    {
        if (host.Length is 0 or > 253)
        {
            return false;
        }

        foreach (var label in host.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (var c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                {
                    return false;
                }
            }
        }

        return true;
    }
}
