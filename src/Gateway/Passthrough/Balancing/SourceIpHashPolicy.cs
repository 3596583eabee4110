using System.Net;
using System.Text;

namespace Gateway.Passthrough.Balancing;

/// <summary>
/// Rendezvous (highest-random-weight) hashing of the client address: each destination scores the client,
/// the highest score wins. Instances with the same config choose alike without sharing state, and when a
/// destination goes down only its own clients move. The hash is fixed (no per-process seed) for that reason.
/// </summary>
internal sealed class SourceIpHashPolicy : IBalancingPolicy
{
    public string Name => BalancingPolicies.SourceIpHash;

    public PassthroughDestination Pick(PassthroughCluster cluster, IReadOnlyList<PassthroughDestination> available, IPAddress? client)
    {
        if (client is null)
        {
            return available[0];
        }

        Span<byte> address = stackalloc byte[16];
        client.TryWriteBytes(address, out var length);
        var clientHash = Fnv1a(address[..length], 14695981039346656037UL);

        var best = available[0];
        var bestScore = Score(clientHash, best.DestinationId);
        for (var i = 1; i < available.Count; i++)
        {
            var score = Score(clientHash, available[i].DestinationId);
            if (score > bestScore)
            {
                (best, bestScore) = (available[i], score);
            }
        }

        return best;
    }

    internal static ulong Score(ulong clientHash, string destinationId)
    {
        Span<byte> id = stackalloc byte[256];
        var written = Encoding.UTF8.GetBytes(destinationId.AsSpan(0, Math.Min(destinationId.Length, 64)), id);
        return Mix(Fnv1a(id[..written], clientHash));
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> data, ulong hash)
    {
        foreach (var b in data)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    // splitmix64's finalizer: FNV alone leaves the high bits poorly mixed for short inputs.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }
}
