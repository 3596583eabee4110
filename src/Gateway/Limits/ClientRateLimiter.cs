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
            Sweep(now, perMinute);
        }

        var bucket = _buckets.GetOrAdd(client, static (_, state) => new Bucket(state.perMinute, state.now), (perMinute, now));
        return bucket.TryTake(now, perMinute, time.TimestampFrequency);
    }

    private void Sweep(long now, int perMinute)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        foreach (var (address, bucket) in _buckets)
        {
            if (bucket.IsFull(now, perMinute, time.TimestampFrequency))
            {
                _buckets.TryRemove(KeyValuePair.Create(address, bucket));
            }
        }
    }

    private sealed class Bucket(int tokens, long stamp)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _stamp = stamp;

        public bool TryTake(long now, int perMinute, long frequency)
        {
            lock (_lock)
            {
                Refill(now, perMinute, frequency);
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens--;
                return true;
            }
        }

        public bool IsFull(long now, int perMinute, long frequency)
        {
            lock (_lock)
            {
                Refill(now, perMinute, frequency);
                return _tokens >= perMinute;
            }
        }

        private void Refill(long now, int perMinute, long frequency)
        {
            var elapsedMinutes = (now - _stamp) / (double)frequency / 60;
            _tokens = Math.Min(perMinute, _tokens + (elapsedMinutes * perMinute));
            _stamp = now;
        }
    }
}
