using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Sums one counter of one gateway (its own IMeterFactory), ignoring the other gateways in the process - which the
/// process-wide <c>/metrics</c> page does not.
/// </summary>
public sealed class CounterProbe : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(KeyValuePair<string, object?>[] Tags, long Value)> _measurements = new();

    public CounterProbe(TestGateway gateway, string instrument)
        : this(gateway.Services.GetRequiredService<IMeterFactory>(), instrument)
    {
    }

    public CounterProbe(IMeterFactory factory, string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Name == instrument && ReferenceEquals(published.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => _measurements.Enqueue((tags.ToArray(), value)));
        _listener.Start();
    }

    /// <summary>The sum of the measurements that carry all of <paramref name="tags"/>.</summary>
    public long this[params (string Key, string Value)[] tags] =>
        _measurements
            .Where(m => tags.All(wanted => m.Tags.Any(tag => tag.Key == wanted.Key && Equals(tag.Value, wanted.Value))))
            .Sum(m => m.Value);

    /// <summary>The sum of all the measurements, whatever their tags.</summary>
    public long Total => _measurements.Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();
}
