using System.Collections.Concurrent;
using System.Net;

namespace Gateway.Limits;

/// <summary>
/// New connections per client address per minute, as a token bucket per address: a client may burst up to the
/// limit, then gets one more every 60/limit seconds. Buckets that have refilled are dropped, so a scan from many
/// addresses costs memory only while it lasts.
/// </summary>
internal sealed class ClientRateLimiter(TimeProvider time)
{
    private const int SweepAbove = 10_000;

    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private long _lastSweep;

    public int Tracked => _buckets.Count;

    public bool TryAcquire(IPAddress client, int perMinute)
    {
        var now = time.GetTimestamp();
        if (_buckets.Count > SweepAbove)
        {
            Sweep(now);
        }

        var bucket = _buckets.GetOrAdd(client, static (_, start) => new Bucket(start), now);
        return bucket.TryTake(now, perMinute, time.TimestampFrequency);
    }

    private void Sweep(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (address, bucket) in _buckets)
        {
            if (bucket.IsFull(now))
            {
                _buckets.TryRemove(KeyValuePair.Create(address, bucket));
            }
        }
    }

    /// <summary>
    /// GCRA, the token bucket in integer time: a client is "due" at <c>_due</c>; each connection pushes it one interval
    /// (a minute / limit) later, and one is refused when that would put it more than a full burst ahead of now.
    /// </summary>
    private sealed class Bucket
    {
        private readonly Lock _lock = new();
        private long _due;

        public Bucket(long now) => _due = now;

        public bool TryTake(long now, int perMinute, long frequency)
        {
            var interval = Interval(perMinute, frequency);
            lock (_lock)
            {
                var due = Math.Max(_due, now);
                if (due - now > (perMinute - 1) * interval)
                {
                    return false;
                }

                _due = due + interval;
                return true;
            }
        }

        public bool IsFull(long now)
        {
            lock (_lock)
            {
                return _due <= now;
            }
        }

        private static long Interval(int perMinute, long frequency) => Math.Max(1, 60 * frequency / perMinute);
    }
}
