using System.Globalization;
using System.Text.RegularExpressions;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;

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
