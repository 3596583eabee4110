using Gateway.Admin;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Passthrough;

namespace Gateway.Hosting;

/// <summary>
/// Reads <c>Gateway:ShutdownTimeout</c> and checks the addresses the process binds, all capabilities together: two
/// listeners on one port would pass every other check and fail at bind time. Listeners are bound once, so on a
/// reload the bound addresses stay and a change is reported as needing a restart; the rest of the edit applies.
/// </summary>
internal sealed class HostingFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["ShutdownTimeout"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        next.Add(new ShutdownConfig(
            ConfigReader.ReadDuration(next.Gateway, "ShutdownTimeout", TimeSpan.FromSeconds(30), next.Errors, TimeSpan.Zero, TimeSpan.FromHours(2))));

        var listeners = next.Find<ListenersConfig>();
        var admin = next.Find<AdminConfig>();
        var passthrough = next.Find<PassthroughConfig>();
        var bound = new List<(string, HostPort)>();
        if (listeners is not null)
        {
            bound.Add(("Gateway:Listeners:Https", listeners.Https));
            if (listeners.Http is { } http)
            {
                bound.Add(("Gateway:Listeners:Http", http));
            }
        }

        if (admin?.Listen is { } adminListen)
        {
            bound.Add(("Gateway:Listeners:Admin", adminListen));
        }

        if (passthrough is not null)
        {
            bound.AddRange(passthrough.Streams.Values.Select(s => ($"Gateway:Passthrough:Streams:{s.StreamId}:Listen", s.Listen)));
        }

        ListenerClashes.Check(bound, next.Errors);
        if (next.Running is { } running && listeners is not null && admin is not null && passthrough is not null)
        {
            KeepBound(next, running, listeners, admin, passthrough);
        }

        return ValueTask.CompletedTask;
    }

    private static void KeepBound(GenerationBuilder next, Generation running, ListenersConfig listeners, AdminConfig admin, PassthroughConfig passthrough)
    {
        var bound = running.Get<ListenersConfig>();
        if (bound.Https != listeners.Https || bound.Http != listeners.Http)
        {
            next.KeepRunning("Gateway:Listeners:Https / Http", $"{bound.Https} / {Describe(bound.Http)}", $"{listeners.Https} / {Describe(listeners.Http)}");
            next.Add(listeners with { Https = bound.Https, Http = bound.Http });
        }

        var boundAdmin = running.Get<AdminConfig>().Listen;
        if (boundAdmin != admin.Listen)
        {
            next.KeepRunning("Gateway:Listeners:Admin", Describe(boundAdmin), Describe(admin.Listen));
            next.Add(admin with { Listen = boundAdmin });
        }

        // A stream keeps the address it is bound to; one added or removed by a reload waits for a restart.
        var boundStreams = running.Get<PassthroughConfig>().Streams;
        var wanted = passthrough.Streams;
        if (Describe(boundStreams) != Describe(wanted))
        {
            next.KeepRunning("Gateway:Passthrough:Streams", Describe(boundStreams), Describe(wanted));
            var kept = wanted.Values
                .Select(s => boundStreams.TryGetValue(s.StreamId, out var was) ? s with { Listen = was.Listen } : s)
                .ToDictionary(s => s.StreamId, StringComparer.OrdinalIgnoreCase);
            next.Add(passthrough with { Streams = kept });
        }
    }

    private static string Describe(HostPort? address) => address?.ToString() ?? "off";

    private static string Describe(IReadOnlyDictionary<string, StreamConfig> streams) =>
        string.Join(", ", streams.Values.OrderBy(s => s.StreamId, StringComparer.Ordinal).Select(s => $"{s.StreamId}={s.Listen}"));
}
