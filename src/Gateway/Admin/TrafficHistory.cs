using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.Tunnel;

namespace Gateway.Admin;

/// <summary>
/// The history behind the stats page's charts, per passthrough route and stream (open tunnels, throughput) and per
/// L7 route (requests/s, error rate, p50/p99 latency): the last 15 minutes at 10 seconds and the last 24 hours at
/// 5 minutes, in fixed rings per route. Memory is bounded by the routes in the configuration; a removed route's
/// rings go with it.
/// </summary>
internal sealed class TrafficHistory(TunnelHandler tunnels, ProxyStats proxy, GenerationStore generations, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public const int Capacity = 90;
    public static readonly TimeSpan DayInterval = TimeSpan.FromMinutes(5);
    public const int DayCapacity = 288;

    private readonly ConcurrentDictionary<string, TunnelSeries> _tunnels = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, RequestSeries> _requests = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The last 15 minutes and, as the last point, one taken now: a chart is never empty or 10 seconds behind.</summary>
    /// <param name="activeNow">Tunnels open on the route now (the caller counts them once for every route).</param>
    public IReadOnlyList<TrafficSample> For(string routeId, int activeNow)
    {
        var traffic = tunnels.Traffic(routeId);
        var now = new TrafficSample(time.GetUtcNow(), activeNow, 0);
        if (!_tunnels.TryGetValue(routeId, out var series))
        {
            return [now];
        }

        return series.Recent(now.At, activeNow, traffic.BytesFromClient + traffic.BytesFromBackend);
    }

    /// <summary>The last 24 hours: the most tunnels open at once and the mean throughput of each 5 minutes.</summary>
    public IReadOnlyList<TrafficSample> DayFor(string routeId) =>
        _tunnels.TryGetValue(routeId, out var series) ? series.Day() : [];

    /// <summary>An L7 route's last 15 minutes.</summary>
    public IReadOnlyList<RequestSample> RequestsFor(string routeId) =>
        _requests.TryGetValue(routeId, out var series) ? series.Recent.ToList() : [];

    /// <summary>An L7 route's last 24 hours.</summary>
    public IReadOnlyList<RequestSample> RequestsDayFor(string routeId) =>
        _requests.TryGetValue(routeId, out var series) ? series.DayRing.ToList() : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                Sample();
                await Task.Delay(Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal void Sample()
    {
        var generation = generations.Current;
        var passthrough = generation.Get<PassthroughConfig>();
        var active = tunnels.ActiveByRoute();
        var now = time.GetUtcNow();
        var ids = passthrough.Routes.Keys.Concat(passthrough.Streams.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var id in ids)
        {
            var traffic = tunnels.Traffic(id);
            _tunnels.GetOrAdd(id, static _ => new TunnelSeries()).Add(now, active.GetValueOrDefault(id), traffic.BytesFromClient + traffic.BytesFromBackend);
        }

        Prune(_tunnels, ids);

        var routes = generation.Get<YarpConfig>().Routes.Select(r => r.RouteId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var totals = routes.ToDictionary(r => r, _ => (Requests: 0L, Errors: 0L, Latency: new long[LatencyHistogram.Buckets]), StringComparer.OrdinalIgnoreCase);
        foreach (var (route, _, counters) in proxy.All)
        {
            if (totals.TryGetValue(route, out var total))
            {
                counters.Latency.AddTo(total.Latency);
                totals[route] = (total.Requests + counters.Requests, total.Errors + counters.Errors, total.Latency);
            }
        }

        foreach (var (route, total) in totals)
        {
            _requests.GetOrAdd(route, static _ => new RequestSeries()).Add(now, total.Requests, total.Errors, total.Latency);
        }

        Prune(_requests, routes);
    }

    private static void Prune<T>(ConcurrentDictionary<string, T> series, HashSet<string> keep)
    {
        foreach (var id in series.Keys)
        {
            if (!keep.Contains(id))
            {
                series.TryRemove(id, out _);
            }
        }
    }

    /// <summary>A fixed array used as a ring: the oldest sample is overwritten once it is full.</summary>
    private sealed class Ring<T>(int capacity)
    {
        private readonly Lock _lock = new();
        private readonly T[] _items = new T[capacity];
        private int _next;
        private int _count;

        public void Add(T item)
        {
            lock (_lock)
            {
                _items[_next] = item;
                _next = (_next + 1) % _items.Length;
                _count = Math.Min(_count + 1, _items.Length);
            }
        }

        /// <summary>Oldest first.</summary>
        public List<T> ToList()
        {
            lock (_lock)
            {
                var list = new List<T>(_count + 1);
                for (var i = 0; i < _count; i++)
                {
                    list.Add(_items[(_next - _count + i + _items.Length) % _items.Length]);
                }

                return list;
            }
        }
    }

    private sealed class TunnelSeries
    {
        private readonly Lock _lock = new();
        private readonly Ring<TrafficSample> _recent = new(Capacity);
        private readonly Ring<TrafficSample> _day = new(DayCapacity);
        private (DateTimeOffset At, long Bytes)? _last;
        private (DateTimeOffset At, long Bytes)? _dayStart;
        private int _dayPeak;

        public List<TrafficSample> Recent(DateTimeOffset at, int active, long totalBytes)
        {
            var samples = _recent.ToList();
            lock (_lock)
            {
                samples.Add(new TrafficSample(at, active, Rate(_last, at, totalBytes)));
            }

            return samples;
        }

        public List<TrafficSample> Day() => _day.ToList();

        public void Add(DateTimeOffset at, int active, long totalBytes)
        {
            lock (_lock)
            {
                _recent.Add(new TrafficSample(at, active, Rate(_last, at, totalBytes)));
                _last = (at, totalBytes);
                _dayPeak = Math.Max(_dayPeak, active);
                if (_dayStart is not { } start)
                {
                    _dayStart = (at, totalBytes);
                }
                else if (at - start.At >= DayInterval)
                {
                    _day.Add(new TrafficSample(at, _dayPeak, Rate(start, at, totalBytes)));
                    _dayStart = (at, totalBytes);
                    _dayPeak = active;
                }
            }
        }

        private static double Rate((DateTimeOffset At, long Bytes)? last, DateTimeOffset at, long totalBytes) =>
            last is { } l && at > l.At ? Math.Max(0, (totalBytes - l.Bytes) / (at - l.At).TotalSeconds) : 0;
    }

    private sealed class RequestSeries
    {
        private readonly Lock _lock = new();
        private Mark? _last;
        private Mark? _dayStart;

        public Ring<RequestSample> Recent { get; } = new(Capacity);

        public Ring<RequestSample> DayRing { get; } = new(DayCapacity);

        public void Add(DateTimeOffset at, long requests, long errors, long[] latency)
        {
            var mark = new Mark(at, requests, errors, latency);
            lock (_lock)
            {
                Recent.Add(Between(_last, mark));
                _last = mark;
                if (_dayStart is not { } start)
                {
                    _dayStart = mark;
                }
                else if (at - start.At >= DayInterval)
                {
                    DayRing.Add(Between(start, mark));
                    _dayStart = mark;
                }
            }
        }

        /// <summary>What happened between two readings of the counters; a counter that went back (cannot, but) counts as none.</summary>
        private static RequestSample Between(Mark? from, Mark to)
        {
            if (from is null || to.At <= from.At)
            {
                return new RequestSample(to.At, 0, 0, null, null);
            }

            var requests = Math.Max(0, to.Requests - from.Requests);
            var errors = Math.Max(0, to.Errors - from.Errors);
            var latency = new long[LatencyHistogram.Buckets];
            for (var i = 0; i < latency.Length; i++)
            {
                latency[i] = Math.Max(0, to.Latency[i] - from.Latency[i]);
            }

            return new RequestSample(to.At, requests / (to.At - from.At).TotalSeconds, requests == 0 ? 0 : Math.Min(1, (double)errors / requests),
                LatencyHistogram.Percentile(latency, 0.5), LatencyHistogram.Percentile(latency, 0.99));
        }

        private sealed record Mark(DateTimeOffset At, long Requests, long Errors, long[] Latency);
    }
}
