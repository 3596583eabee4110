using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// Two listeners on one port would pass every other check and then fail at bind time; say so with both paths instead.
/// A wildcard address ("0.0.0.0", "[::]") overlaps every address on its port, and "localhost" both loopbacks.
/// </summary>
internal static class ListenerClashes
{
    public static void Check(IReadOnlyList<(string Path, HostPort Address)> listeners, ConfigErrors errors)
    {
        for (var i = 0; i < listeners.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                var (path, address) = listeners[i];
                var (otherPath, other) = listeners[j];
                if (address.Port != 0 && address.Port == other.Port && Overlap(address, other))
                {
                    errors.Add(path, $"{address} clashes with {otherPath} ({other}): two listeners cannot share a port");
                }
            }
        }
    }

    private static bool Overlap(HostPort a, HostPort b)
    {
        var left = Addresses(a);
        var right = Addresses(b);
        return left is null || right is null || left.Intersect(right).Any();
    }

    /// <returns>Null for a wildcard.</returns>
    private static IPAddress[]? Addresses(HostPort address) => address.Address switch
    {
        null => [IPAddress.Loopback, IPAddress.IPv6Loopback], // localhost
        var ip when ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) => null,
        var ip => [Networks.Unmapped(ip)],
    };
}
