using System.Collections.Concurrent;
using System.Net;
using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Limits;

/// <summary>
/// Gateway:Limits on the public listeners: connections open at once, in total (Limits:MaxConnections, else what the
/// descriptors hold) and per client address, and new connections per client address per minute. Over a limit a new
/// connection is refused at accept, before any TLS work; connections already open are never touched.
/// </summary>
internal sealed class ConnectionLimiter(GenerationStore generations, ClientRateLimiter rates, DescriptorBudget descriptors, SocketBudget sockets)
{
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();

    public int Open => sockets.Clients;

    /// <summary>The limit in force on connections open at once.</summary>
    public int MaxConnections => descriptors.MaxConnections(generations.Current.Get<LimitsConfig>());

    /// <summary>
    /// Takes a place among the connections open at once, right at accept: a connection still sending its PROXY header
    /// holds a descriptor too. <see cref="Close"/> gives it back.
    /// </summary>
    /// <returns>False at the limit; nothing is held then.</returns>
    public bool TryOpen() => sockets.TryOpenClient(MaxConnections);

    public void Close() => sockets.CloseClient();

    /// <summary>Takes a slot for <paramref name="client"/> (its rate and its open connections); <see cref="Release"/> gives it back.</summary>
    /// <param name="slot">What to release with.</param>
    /// <returns>False when a limit is reached; nothing is held then.</returns>
    public bool TryAcquire(IPAddress? client, out IPAddress? slot)
    {
        slot = client is null ? null : Networks.Subscriber(client);
        return slot is null || TryAcquireFor(slot);
    }

    private bool TryAcquireFor(IPAddress client)
    {
        var limits = generations.Current.Get<LimitsConfig>();
        if (limits.NewConnectionsPerClientIpPerMinute is { } rate && !rates.TryAcquire(client, rate))
        {
            return false;
        }

        if (_perClient.AddOrUpdate(client, 1, static (_, count) => count + 1) > (limits.MaxConnectionsPerClientIp ?? int.MaxValue))
        {
            Release(client);
            return false;
        }

        return true;
    }

    public void Release(IPAddress? client)
    {
        if (client is not null && _perClient.AddOrUpdate(client, 0, static (_, count) => count - 1) <= 0)
        {
            // Removed only if still zero, so a client connecting meanwhile keeps its count.
            _perClient.TryRemove(KeyValuePair.Create(client, 0));
        }
    }
}
