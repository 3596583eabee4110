using System.Collections.Concurrent;

namespace Gateway.Diagnostics;

/// <summary>
/// Repeated events counted by key and written as one line per key per interval, with a count and the last one's
/// details, in place of a line per event: what clients or a backend cause (a thousand slow bodies, a destination that
/// is down) must not let anyone fill a disk or a journal. The keys come from the configuration (routes, clusters,
/// destinations, kinds), never from a client, so the number of lines an interval is bounded by the configuration.
/// </summary>
/// <typeparam name="TKey">What one summary line is about; its fields must come from the configuration.</typeparam>
internal sealed class EventTally<TKey> : IDisposable
    where TKey : notnull
{
    /// <summary>How often counts are written and reset, unless a caller chooses otherwise.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);

    // An entry is never removed: taking one out races with a Record that already holds it, and would lose its count.
    // The configuration bounds the keys.
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly Action<TKey, long, string> _write;
    private readonly ITimer _timer;

    /// <param name="write">Writes one line: the key, how many events it had in the interval, the last one's details.</param>
    public EventTally(TimeProvider time, TimeSpan interval, Action<TKey, long, string> write)
    {
        Interval = interval;
        _write = write;
        _timer = time.CreateTimer(static state => ((EventTally<TKey>)state!).Flush(), this, interval, interval);
    }

    public TimeSpan Interval { get; }

    /// <param name="details">What the last event was (client, error message); written with the count.</param>
    public void Record(TKey key, string details)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        Volatile.Write(ref entry.Details, details);
        Interlocked.Increment(ref entry.Count);
    }

    /// <summary>Writes and resets the counts; the timer calls it, a test may too.</summary>
    public void Flush()
    {
        foreach (var (key, entry) in _entries)
        {
            var count = Interlocked.Exchange(ref entry.Count, 0);
            if (count > 0)
            {
                _write(key, count, Volatile.Read(ref entry.Details) ?? "-");
            }
        }
    }

    /// <summary>Stops the timer and writes what is counted, so a stopping gateway says what happened last.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }

    private sealed class Entry
    {
        public long Count;
        public string? Details;
    }
}
