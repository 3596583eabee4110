using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Passthrough;
using Gateway.Tunnel;

namespace Gateway.Admin;

/// <summary>
/// The last 15 minutes of open tunnels and throughput per passthrough route and stream, sampled every
/// 10 seconds into a fixed ring per route, for the charts on the stats page.
/// </summary>
internal sealed class TrafficHistory(TunnelHandler tunnels, GenerationStore generations, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public const int Capacity = 90;

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The stored samples and, as the last point, one taken now: a chart is never empty or 10 seconds behind.</summary>
    /// <param name="activeNow">Tunnels open on the route now (the caller counts them once for every route).</param>
    public IReadOnlyList<TrafficSample> For(string routeId, int activeNow)
    {
        var traffic = tunnels.Traffic(routeId);
        var now = new TrafficSample(time.GetUtcNow(), activeNow, 0);
        if (!_rings.TryGetValue(routeId, out var ring))
        {
            return [now];
        }

        var samples = ring.ToList();
        return [.. samples, ring.Peek(now.At, now.ActiveTunnels, traffic.BytesFromClient + traffic.BytesFromBackend)];
    }

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
        var passthrough = generations.Current.Get<PassthroughConfig>();
        var active = tunnels.ActiveByRoute();
        var now = time.GetUtcNow();
        foreach (var id in passthrough.Routes.Keys.Concat(passthrough.Streams.Keys))
        {
            var traffic = tunnels.Traffic(id);
            _rings.GetOrAdd(id, static _ => new Ring()).Add(now, active.GetValueOrDefault(id), traffic.BytesFromClient + traffic.BytesFromBackend);
        }
    }

    private sealed class Ring
    {
        private readonly Lock _lock = new();
        private readonly Queue<TrafficSample> _samples = new(Capacity);
        private (DateTimeOffset At, long Bytes)? _last;

        /// <summary>A sample as <see cref="Add"/> would record it, without recording it.</summary>
        public TrafficSample Peek(DateTimeOffset at, int active, long totalBytes)
        {
            lock (_lock)
            {
                return new TrafficSample(at, active, Rate(at, totalBytes));
            }
        }

        public void Add(DateTimeOffset at, int active, long totalBytes)
        {
            lock (_lock)
            {
                var rate = Rate(at, totalBytes);
                _last = (at, totalBytes);
                if (_samples.Count == Capacity)
                {
                    _samples.Dequeue();
                }

                _samples.Enqueue(new TrafficSample(at, active, rate));
            }
        }

        private double Rate(DateTimeOffset at, long totalBytes) =>
            _last is { } last && at > last.At ? Math.Max(0, (totalBytes - last.Bytes) / (at - last.At).TotalSeconds) : 0;

        public List<TrafficSample> ToList()
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }
}
