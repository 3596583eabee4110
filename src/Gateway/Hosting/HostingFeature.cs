using Gateway.Admin;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Passthrough;

namespace Gateway.Hosting;

/// <summary>
/// Reads <c>Gateway:ShutdownTimeout</c> and checks the addresses the process binds, all capabilities together: two
/// listeners on one port would pass every other check and fail at bind time. Listeners are bound once, so on a
/// reload the bound addresses stay and a change is reported as needing a restart; the rest of the edit applies. So do
/// Kestrel's limits (<c>Gateway:Limits:Http</c>) and the stop timeout, set on options once at start.
/// </summary>
internal sealed class HostingFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["ShutdownTimeout"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var shutdown = new ShutdownConfig(
            ConfigReader.ReadDuration(next.Gateway, "ShutdownTimeout", TimeSpan.FromSeconds(30), next.Errors, TimeSpan.Zero, TimeSpan.FromHours(2)));
        next.Add(shutdown);

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
        var limits = next.Find<LimitsConfig>();
        if (next.Running is { } running && listeners is not null && admin is not null && passthrough is not null && limits is not null)
        {
            var start = running.Get<StartSettings>();
            next.Add(start);
            KeepBound(next, running, start, listeners, admin, passthrough);
            KeepStartValues(next, start, limits, shutdown);
        }
        else if (next.Running is null && passthrough is not null && limits is not null)
        {
            next.Add(new StartSettings(
                passthrough.Streams.Values.ToDictionary(s => s.StreamId, s => s.Listen, StringComparer.OrdinalIgnoreCase), limits.Http, shutdown.Timeout));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Kestrel's limits and the stop timeout are set on options at start: a change is reported, and the running values stay in the generation.</summary>
    private static void KeepStartValues(GenerationBuilder next, StartSettings start, LimitsConfig limits, ShutdownConfig shutdown)
    {
        if (limits.Http != start.Http)
        {
            foreach (var property in typeof(HttpLimitsConfig).GetProperties())
            {
                var (running, wanted) = (property.GetValue(start.Http), property.GetValue(limits.Http));
                if (!Equals(running, wanted))
                {
                    next.KeepRunning($"Gateway:Limits:Http:{property.Name}", Describe(running), Describe(wanted));
                }
            }

            next.Add(limits with { Http = start.Http });
        }

        if (shutdown.Timeout != start.ShutdownTimeout)
        {
            next.KeepRunning("Gateway:ShutdownTimeout", Duration.Format(start.ShutdownTimeout), Duration.Format(shutdown.Timeout));
            next.Add(new ShutdownConfig(start.ShutdownTimeout));
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "off",
        TimeSpan duration => Duration.Format(duration),
        IFormattable formattable => formattable.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void KeepBound(GenerationBuilder next, Generation running, StartSettings start, ListenersConfig listeners, AdminConfig admin, PassthroughConfig passthrough)
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

        // A stream keeps the address it is bound to; one added or removed by a reload waits for a restart. Compared with
        // what was bound at start, not with the running generation: a stream added by an earlier reload is in that
        // generation but bound nowhere, and removing it again changes nothing that listens.
        var boundStreams = start.Streams;
        var wanted = passthrough.Streams;
        var wantedListen = Describe(wanted.Values.ToDictionary(s => s.StreamId, s => s.Listen, StringComparer.OrdinalIgnoreCase));
        if (Describe(boundStreams) != wantedListen)
        {
            next.KeepRunning("Gateway:Passthrough:Streams", Describe(boundStreams), wantedListen);
            var kept = wanted.Values
                .Select(s => boundStreams.TryGetValue(s.StreamId, out var was) ? s with { Listen = was } : s)
                .ToDictionary(s => s.StreamId, StringComparer.OrdinalIgnoreCase);
            next.Add(passthrough with { Streams = kept });
        }
    }

    private static string Describe(HostPort? address) => address?.ToString() ?? "off";

    private static string Describe(IReadOnlyDictionary<string, HostPort> streams) =>
        string.Join(", ", streams.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}={s.Value}"));
}
