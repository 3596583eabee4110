using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;

namespace Gateway.Admin;

/// <summary>
/// The stats page's answer to "which destination has client X": for every passthrough cluster that keeps clients
/// on one destination, its affinity entry, and for source-IP hashing, where the hash sends the client now.
/// </summary>
/// <param name="Query">What was asked, as typed (cut to <see cref="MaxQueryLength"/>).</param>
/// <param name="Client">The address looked up; null when <paramref name="Query"/> is not one.</param>
/// <param name="Error">Why <paramref name="Query"/> was not looked up.</param>
internal sealed record AffinityLookupView(string Query, string? Client, string? Error, IReadOnlyList<AffinityAnswerView> Answers)
{
    public const int MaxQueryLength = 64;

    public static AffinityLookupView Find(string query, PassthroughClusters clusters)
    {
        var shown = query.Length > MaxQueryLength ? query[..MaxQueryLength] + "..." : query;
        if (!TryParseClient(query, out var client))
        {
            return new AffinityLookupView(shown, null, "not an IP address: give one like 192.0.2.7 or 2001:db8::7 (a port after it is ignored)", []);
        }

        var answers = new List<AffinityAnswerView>();
        foreach (var cluster in clusters.All.OrderBy(c => c.ClusterId, StringComparer.Ordinal))
        {
            var config = cluster.Config;
            if (config.SessionAffinity is { } affinity)
            {
                answers.Add(cluster.Affinity.Peek(client, affinity.Expiry) is { } entry
                    ? new AffinityAnswerView(cluster.ClusterId, "affinity", entry.DestinationId, entry.Idle.TotalSeconds)
                    : new AffinityAnswerView(cluster.ClusterId, "affinity", null, null));
            }

            if (config.LoadBalancingPolicy.Equals(BalancingPolicies.SourceIpHash, StringComparison.OrdinalIgnoreCase))
            {
                var available = cluster.Destinations.Where(d => d.IsAvailable).ToList();
                answers.Add(new AffinityAnswerView(cluster.ClusterId, "hash",
                    available.Count == 0 ? null : new SourceIpHashPolicy().Pick(cluster, available, client).DestinationId, null));
            }
        }

        return new AffinityLookupView(shown, client.ToString(), null, answers);
    }

    /// <summary>
    /// An IPv4 address in its usual dotted form, or an IPv6 address, either with a port (as the open-tunnels list shows
    /// clients); IPv4-mapped IPv6 is the IPv4 address, as affinity keys it. Nothing looser: "1" or "010.1.1.1" are
    /// addresses to <see cref="IPAddress.TryParse(string?, out IPAddress?)"/>, not to an operator.
    /// </summary>
    internal static bool TryParseClient(string text, out IPAddress client)
    {
        client = IPAddress.None;
        text = text.Trim();
        if (text.Length is 0 or > MaxQueryLength || text.Contains('%', StringComparison.Ordinal) || !IPEndPoint.TryParse(text, out var endPoint))
        {
            return false;
        }

        var address = endPoint.Address;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // "a.b.c.d" or "a.b.c.d:port", spelled exactly as the address prints.
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (!(colon < 0 ? text : text[..colon]).Equals(address.ToString(), StringComparison.Ordinal))
            {
                return false;
            }
        }

        client = Networks.Unmapped(address);
        return true;
    }
}
