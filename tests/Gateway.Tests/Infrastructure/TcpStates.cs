using System.Globalization;
using System.Net;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The kernel's view of one TCP connection (<c>/proc/net/tcp</c> and <c>tcp6</c>): what a socket's owner did to it
/// shows there before the peer sees anything, e.g. a shutdown that queued a FIN behind data the peer has not read yet.
/// </summary>
public static class TcpStates
{
    public const string Established = "01";

    private const string SynSent = "02";

    /// <summary>
    /// The state (two hex digits, as the kernel writes it) of the socket at <paramref name="local"/> connected to
    /// <paramref name="remote"/>, found as IPv4 or, for a dual-stack socket, as IPv4-mapped IPv6; null when there is none.
    /// </summary>
    public static string? Of(IPEndPoint local, IPEndPoint remote) =>
        Find("/proc/net/tcp", local, remote, mapped: false) ?? Find("/proc/net/tcp6", local, remote, mapped: true);

    /// <summary>
    /// The bytes that arrived at the socket at <paramref name="local"/> from <paramref name="remote"/> and that its owner
    /// has not read yet (the kernel's rx_queue); null when there is no such socket.
    /// </summary>
    public static int? Unread(IPEndPoint local, IPEndPoint remote) =>
        Queues("/proc/net/tcp", local, remote, mapped: false) ?? Queues("/proc/net/tcp6", local, remote, mapped: true);

    /// <summary>True while a connect to <paramref name="remote"/> waits for its answer (SYN sent).</summary>
    public static bool Dialling(IPEndPoint remote) =>
        Dialling("/proc/net/tcp", remote, mapped: false) || Dialling("/proc/net/tcp6", remote, mapped: true);

    private static bool Dialling(string table, IPEndPoint remote, bool mapped)
    {
        var wanted = $" {Hex(remote, mapped)} {SynSent} ";
        return File.ReadLines(table).Skip(1).Any(line => line.Contains(wanted, StringComparison.Ordinal));
    }

    private static string? Find(string table, IPEndPoint local, IPEndPoint remote, bool mapped)
    {
        var wanted = $"{Hex(local, mapped)} {Hex(remote, mapped)} ";
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var fields = line.TrimStart();
            var start = fields.IndexOf(' ', StringComparison.Ordinal) + 1;
            if (string.CompareOrdinal(fields, start, wanted, 0, wanted.Length) == 0)
            {
                return fields.Substring(start + wanted.Length, 2);
            }
        }

        return null;
    }

    private static int? Queues(string table, IPEndPoint local, IPEndPoint remote, bool mapped)
    {
        // "sl local remote st tx_queue:rx_queue ...", the queues in hex.
        var wanted = $"{Hex(local, mapped)} {Hex(remote, mapped)} ";
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 4 && $"{fields[1]} {fields[2]} " == wanted)
            {
                return int.Parse(fields[4].AsSpan(fields[4].IndexOf(':', StringComparison.Ordinal) + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>The address as the kernel prints it: each 32-bit word in host order (bytes reversed here), then the port.</summary>
    private static string Hex(IPEndPoint endPoint, bool mapped)
    {
        var address = mapped ? endPoint.Address.MapToIPv6() : endPoint.Address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        var words = string.Concat(Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToUInt32(bytes, i * 4).ToString("X8", CultureInfo.InvariantCulture)));
        return string.Create(CultureInfo.InvariantCulture, $"{words}:{endPoint.Port:X4}");
    }
}
