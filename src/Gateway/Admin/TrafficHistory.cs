using System.Collections.Concurrent;
using Gateway.Configuration;
using Gateway.Tunnel;

namespace Gateway.Admin;

/// <summary>
/// The last 15 minutes of open tunnels and throughput per passthrough route and stream, sampled every
/// 10 seconds into a fixed ring per route, for the charts on the stats page.
/// </summary>
internal sealed class TrafficHistory(TunnelHandler tunnels, GatewaySnapshotStore snapshots, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    public const int Capacity = 90;

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<TrafficSample> For(string routeId) => _rings.TryGetValue(routeId, out var ring) ? ring.ToList() : [];

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
        var passthrough = snapshots.Current.Config.Passthrough;
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

        public void Add(DateTimeOffset at, int active, long totalBytes)
        {
            lock (_lock)
            {
                var rate = _last is { } last && at > last.At ? (totalBytes - last.Bytes) / (at - last.At).TotalSeconds : 0;
                _last = (at, totalBytes);
                if (_samples.Count == Capacity)
                {
                    _samples.Dequeue();
                }

                _samples.Enqueue(new TrafficSample(at, active, Math.Max(0, rate)));
            }
        }

        public List<TrafficSample> ToList()
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }
}

internal sealed record TrafficSample(DateTimeOffset At, int ActiveTunnels, double BytesPerSecond);
