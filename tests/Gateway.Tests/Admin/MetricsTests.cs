using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Core;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Admin;

// OpenTelemetry's meter listener is process-wide: it would also count the "Gateway" meters of gateways that
// other tests run at the same time, so the exact figures here are read with nothing else running.
[Collection(SerialTests.Name)]
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_move_with_real_traffic_and_parse_as_prometheus_text()
    {
        await using var scenario = await GatewayScenario.StartAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{scenario.Gateway.Admin}/") };
        using (var client = new GatewayClient(scenario.Gateway.Https))
        {
            Assert.StartsWith("exchange ", await client.Http.GetStringAsync(client.Url(GatewayScenario.ExchangeHost)));
            Assert.StartsWith("app ", await client.Http.GetStringAsync(client.Url(GatewayScenario.AppHost)));
        }

        await Poll.UntilAsync(() => scenario.Gateway.ActiveTunnels == 0, "the tunnel is closed");
        var samples = Parse(await admin.GetStringAsync("metrics"));

        Assert.True(Value(samples, "gateway_connections_total", ("outcome", "tunnelled")) >= 1);
        Assert.True(Value(samples, "gateway_connections_total", ("outcome", "terminated")) >= 1);
        Assert.True(Value(samples, "gateway_tunnel_bytes_total", ("route", "exchange"), ("direction", "backend_to_client")) > 0);
        Assert.True(Value(samples, "gateway_tunnel_bytes_total", ("route", "exchange"), ("direction", "client_to_backend")) > 0);
        Assert.True(Value(samples, "gateway_tunnel_duration_seconds_count", ("route", "exchange")) >= 1);
        Assert.True(Value(samples, "gateway_proxy_requests_total", ("route", "app"), ("cluster", "app"), ("status_class", "2xx")) >= 1);
        Assert.True(Value(samples, "gateway_clienthello_duration_seconds_count") >= 2);
        Assert.Equal(1, Value(samples, "gateway_destination_health", ("cluster", "exchange"), ("destination", "exchange01")));
        Assert.True(Value(samples, "gateway_certificate_expiry_seconds", ("host", GatewayScenario.AppHost)) > 86400);
        Assert.Equal(GatewayScenario.AppCertificate.Certificate.NotAfter.ToUniversalTime(),
            DateTime.UnixEpoch.AddSeconds(Value(samples, "gateway_certificate_expiry_timestamp_seconds", ("host", GatewayScenario.AppHost))), TimeSpan.FromSeconds(1));
        Assert.True(Value(samples, "gateway_proxy_requests_total", ("route", "app"), ("code", "200")) >= 1);
        Assert.Equal(1, Value(samples, "gateway_config_generation"));
        Assert.Contains(samples, s => s.Name == "kestrel_active_connections");
        Assert.Contains(samples, s => s.Name.StartsWith("http_server_request_duration_seconds", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("http_client_request_duration_seconds", StringComparison.Ordinal));
        foreach (var dropped in new[] { "http_server_active_requests", "http_client_active_requests", "http_client_open_connections" })
        {
            Assert.DoesNotContain(samples, s => s.Name.StartsWith(dropped, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(samples, s => s.Name.StartsWith("gateway_", StringComparison.Ordinal) && s.Labels.Values.Any(v => v.Contains("127.0.0.1", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Every_gateway_series_passes_promtool_and_request_durations_are_bucketed_in_seconds()
    {
        await using var scenario = await GatewayScenario.StartAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{scenario.Gateway.Admin}/") };
        using (var client = new GatewayClient(scenario.Gateway.Https))
        {
            Assert.StartsWith("exchange ", await client.Http.GetStringAsync(client.Url(GatewayScenario.ExchangeHost)));
            Assert.StartsWith("app ", await client.Http.GetStringAsync(client.Url(GatewayScenario.AppHost)));
            using var missing = await client.Http.GetAsync(client.Url(GatewayScenario.AppHost, "/missing"));
        }

        await Poll.UntilAsync(() => scenario.Gateway.ActiveTunnels == 0, "the tunnel is closed");
        var exposition = await admin.GetStringAsync("metrics");
        var samples = Parse(exposition);

        // A request on loopback takes milliseconds: it lands in a bucket below 1 s, and the buckets reach a minute.
        var buckets = samples.Where(s => s.Name == "gateway_proxy_request_duration_seconds_bucket" && s.Labels["route"] == "app").ToList();
        var bounds = buckets.Select(s => s.Labels["le"]).Distinct().ToList();
        Assert.Contains("0.001", bounds);
        Assert.Contains("0.005", bounds);
        Assert.Contains("60", bounds);
        Assert.DoesNotContain("10000", bounds);
        var count = Value(samples, "gateway_proxy_request_duration_seconds_count", ("route", "app"));
        Assert.Equal(count, Value(samples, "gateway_proxy_request_duration_seconds_bucket", ("route", "app"), ("le", "1")));
        Assert.True(Value(samples, "gateway_proxy_requests_total", ("route", "app"), ("code", "404"), ("status_class", "4xx")) >= 1);

        // promtool's lint, on Gateway's own families (the runtime's and ASP.NET Core's are not Gateway's to name).
        var ours = string.Join('\n', exposition.Split('\n').Where(line => FamilyOf(line)?.StartsWith("gateway_", StringComparison.Ordinal) == true)) + "\n";
        Assert.Contains("gateway_connections_total", ours, StringComparison.Ordinal);
        Assert.Equal(1, Value(samples, "gateway_destination_state", ("cluster", "app"), ("destination", "app01"), ("layer", "proxy"), ("state", "Active")));
        Assert.Equal(1, Value(samples, "gateway_destination_health", ("cluster", "app"), ("destination", "app01"), ("layer", "proxy")));
        Assert.Equal(0, Value(samples, "gateway_destination_active", ("cluster", "app"), ("destination", "app01"), ("layer", "proxy")));
        Assert.Equal(1, Value(samples, "gateway_destination_state", ("cluster", "exchange"), ("destination", "exchange01"), ("state", "Active")));
        var (exit, output) = await PromtoolAsync(ours);
        Assert.True(exit == 0 && output.Length == 0, $"promtool check metrics: exit {exit}\n{output}");
    }

    [Fact]
    public async Task Counters_with_known_labels_are_at_zero_before_anything_happens()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };
        var samples = Parse(await admin.GetStringAsync("metrics"));

        foreach (var outcome in new[] { "tunnelled", "terminated", "hello-timeout", "not-tls", "invalid-hello", "too-large", "closed-early", "no-destination",
            "connect-failed", "refused-limit", "denied", "bad-proxy-header", "unknown-sni" })
        {
            Assert.Contains(samples, s => s.Name == "gateway_connections_total" && s.Labels.GetValueOrDefault("outcome") == outcome);
        }

        foreach (var (name, label, value) in new[]
        {
            ("gateway_config_reloads_total", "outcome", "applied"), ("gateway_config_reloads_total", "outcome", "rejected"),
            ("gateway_acme_orders_total", "outcome", "issued"), ("gateway_acme_orders_total", "outcome", "failed"),
            ("gateway_listener_accept_failures_total", "error", "descriptors"), ("gateway_listener_accept_failures_total", "error", "memory"),
            ("gateway_listener_accept_failures_total", "error", "other"),
            ("gateway_internal_errors_total", "component", "socket-loop"), ("gateway_internal_errors_total", "component", "acme"),
        })
        {
            Assert.Contains(samples, s => s.Name == name && s.Labels.GetValueOrDefault(label) == value);
        }

        Assert.Contains(samples, s => s.Name == "gateway_access_log_dropped_total");
    }

    [Fact]
    public void The_operations_guide_lists_every_connection_outcome_and_no_other()
    {
        var table = File.ReadLines(Path.Combine(Gateway.Tests.Configuration.CheckTests.RepositoryRoot(), "docs", "operations.md"))
            .Single(line => line.StartsWith("| `gateway_connections_total` |", StringComparison.Ordinal));
        var meaning = table.Split('|', StringSplitOptions.RemoveEmptyEntries)[2];

        // The outcomes are the backticked words of the meaning, each possibly followed by what it means in brackets.
        var documented = BacktickedWord().Matches(Regex.Replace(meaning, @"\([^)]*\)", "")).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(Gateway.Metrics.ConnectionOutcomes.All.Order(StringComparer.Ordinal), documented.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("`([a-z-]+)`")]
    private static partial Regex BacktickedWord();

    [Fact]
    public async Task Tunnel_bytes_are_counted_while_the_tunnel_is_open()
    {
        await using var echo = new RawTcpBackend(async socket =>
        {
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, read));
            }
        });
        var section = new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Clusters"] = new JsonObject { ["long-lived"] = new JsonObject { ["Destinations"] = new JsonObject { ["d"] = new JsonObject { ["Address"] = echo.Address } } } },
                ["Streams"] = new JsonObject { ["long-lived"] = new JsonObject { ["Listen"] = "127.0.0.1:0", ["ClusterId"] = "long-lived" } },
            },
        };
        await using var gateway = await TestGateway.StartAsync(section);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(gateway.Services.GetRequiredService<GatewayListeners>().Stream("long-lived")!);

        var payload = new byte[100_000];
        await client.SendAsync(payload);
        var received = 0;
        var buffer = new byte[16 * 1024];
        while (received < payload.Length)
        {
            var read = await client.ReceiveAsync(buffer);
            Assert.True(read > 0, "the echo closed early");
            received += read;
        }

        async Task<(double In, double Out)> BytesAsync()
        {
            var samples = Parse(await admin.GetStringAsync("metrics"));
            double Bytes(string direction) => samples
                .Where(s => s.Name == "gateway_tunnel_bytes_total" && s.Labels.GetValueOrDefault("route") == "long-lived" && s.Labels.GetValueOrDefault("direction") == direction)
                .Sum(s => s.Value);
            return (Bytes("client_to_backend"), Bytes("backend_to_client"));
        }

        var seen = (In: 0.0, Out: 0.0);
        await Poll.UntilAsync(async () => (seen = await BytesAsync()) == (payload.Length, payload.Length), TimeSpan.FromSeconds(20),
            "the tunnel's bytes are counted while it is open");
        Assert.Equal(1, gateway.ActiveTunnels);

        // Closing adds what the sweep has not counted yet, and nothing twice.
        await client.SendAsync(new byte[10]);
        client.Shutdown(SocketShutdown.Both);
        client.Close();
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "the tunnel is closed");
        await Poll.UntilAsync(async () => (await BytesAsync()).In == payload.Length + 10, TimeSpan.FromSeconds(20), "the last bytes are counted at the close");
        Assert.Equal(payload.Length + 10, (await BytesAsync()).In);
    }

    /// <summary>The metric family a line of the exposition belongs to.</summary>
    private static string? FamilyOf(string line)
    {
        if (line.StartsWith("# ", StringComparison.Ordinal))
        {
            var parts = line.Split(' ', 4);
            return parts.Length >= 3 ? parts[2] : null;
        }

        var end = line.IndexOfAny(['{', ' ']);
        return end > 0 ? line[..end] : null;
    }

    /// <summary>Runs <c>promtool check metrics</c> (Debian's prometheus package; scripts/test.sh installs it).</summary>
    private static async Task<(int Exit, string Output)> PromtoolAsync(string exposition)
    {
        using var process = Process.Start(new ProcessStartInfo("promtool", "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(exposition);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, (await stdout + await stderr).Trim());
    }

    internal sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>Prometheus text format 0.0.4: every line is a comment or "name{labels} value [timestamp]"; anything else fails.</summary>
    internal static List<Sample> Parse(string exposition)
    {
        var samples = new List<Sample>();
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                Assert.True(line.Length == 0 || HelpOrType().IsMatch(line) || line.StartsWith("# EOF", StringComparison.Ordinal), $"bad comment line: {line}");
                continue;
            }

            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var text => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }

        return samples;
    }

    internal static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        var matching = samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
        Assert.True(matching.Count > 0, $"no sample {name} with {string.Join(",", labels)}; have: {string.Join("\n", samples.Where(s => s.Name == name).Select(s => string.Join(",", s.Labels)))}");
        return matching.Sum(s => s.Value);
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*)\})? (?<value>[-+0-9.eE]+|\+Inf|-Inf|NaN)( -?[0-9]+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();

    [GeneratedRegex("""^# (HELP|TYPE|UNIT) [a-zA-Z_:][a-zA-Z0-9_:]* .*$""")]
    private static partial Regex HelpOrType();
}
