using System.Collections.Concurrent;

namespace Gateway.Proxy;

/// <summary>Per L7 route and cluster: requests, server errors and total latency since start, for the stats page.</summary>
internal sealed class ProxyStats
{
    private readonly ConcurrentDictionary<(string Route, string Cluster), Counters> _counters = new();

    public IEnumerable<(string Route, string Cluster, long Requests, long Errors, double AverageSeconds)> All =>
        _counters.Select(kv => (kv.Key.Route, kv.Key.Cluster, kv.Value.Requests, kv.Value.Errors, kv.Value.AverageSeconds));

    public void Record(string route, string cluster, bool error, TimeSpan duration) =>
        _counters.GetOrAdd((route, cluster), static _ => new Counters()).Add(error, duration);

    private sealed class Counters
    {
        private long _requests;
        private long _errors;
        private long _ticks;

        public long Requests => Interlocked.Read(ref _requests);

        public long Errors => Interlocked.Read(ref _errors);

        public double AverageSeconds => Requests == 0 ? 0 : TimeSpan.FromTicks(Interlocked.Read(ref _ticks) / Requests).TotalSeconds;

        public void Add(bool error, TimeSpan duration)
        {
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _ticks, duration.Ticks);
            if (error)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }
}
