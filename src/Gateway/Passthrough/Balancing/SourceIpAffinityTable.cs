using System.Net;

namespace Gateway.Passthrough.Balancing;

/// <summary>
/// HAProxy's stick table on the source address: client -> destination id, refreshed on each new connection,
/// forgotten after <c>Expiry</c> without one, and bounded by <c>MaxEntries</c> with least-recently-used eviction.
/// One lock, O(1) per lookup: entries live in a list ordered by last use, so the expired ones are always
/// at its tail and are dropped as they are met.
/// </summary>
internal sealed class SourceIpAffinityTable(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<IPAddress, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _byLastUse = new(); // most recent first

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>The destination this client last used, if that was within <paramref name="expiry"/>.</summary>
    public string? Lookup(IPAddress client, TimeSpan expiry)
    {
        lock (_lock)
        {
            DropExpired(expiry);
            return _entries.TryGetValue(client, out var node) ? node.Value.DestinationId : null;
        }
    }

    /// <summary>The client's entry and how long it has not been used, without touching the table (the stats page's lookup).</summary>
    public (string DestinationId, TimeSpan Idle)? Peek(IPAddress client, TimeSpan expiry)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(client, out var node))
            {
                return null;
            }

            var idle = time.GetElapsedTime(node.Value.LastUsed);
            return idle < expiry ? (node.Value.DestinationId, idle) : null;
        }
    }

    /// <summary>Records (or refreshes) the client's destination.</summary>
    public void Set(IPAddress client, string destinationId, TimeSpan expiry, int maxEntries)
    {
        lock (_lock)
        {
            DropExpired(expiry);
            var now = time.GetTimestamp();
            if (_entries.TryGetValue(client, out var node))
            {
                _byLastUse.Remove(node);
                node.Value = new Entry(client, destinationId, now);
                _byLastUse.AddFirst(node);
                return;
            }

            while (_entries.Count >= maxEntries && _byLastUse.Last is { } oldest)
            {
                Remove(oldest);
            }

            _entries[client] = _byLastUse.AddFirst(new Entry(client, destinationId, now));
        }
    }

    private void DropExpired(TimeSpan expiry)
    {
        while (_byLastUse.Last is { } oldest && time.GetElapsedTime(oldest.Value.LastUsed) >= expiry)
        {
            Remove(oldest);
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _byLastUse.Remove(node);
        _entries.Remove(node.Value.Client);
    }

    private record struct Entry(IPAddress Client, string DestinationId, long LastUsed);
}
