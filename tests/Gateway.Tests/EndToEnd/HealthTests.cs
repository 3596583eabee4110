using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Passthrough.Balancing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

public sealed class HealthTests
{
    private static JsonObject ActiveChecks(string mode = "Tcp") => new()
    {
        ["LoadBalancingPolicy"] = "RoundRobin",
        ["HealthCheck"] = new JsonObject
        {
            ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "200ms", ["Timeout"] = "500ms", ["Rise"] = 2, ["Fall"] = 2, ["Mode"] = mode },
        },
        ["Retries"] = 0,
    };

    [Fact]
    public async Task A_killed_backend_is_marked_down_within_interval_times_fall_then_comes_back_after_rise()
    {
        await using var backends = new NamedBackends("a", "b");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(ActiveChecks()));
        var a = Destination(gateway, "a");
        await Poll.UntilAsync(() => a.Health.Status == HealthStatus.Healthy, "a is checked healthy");
        var port = backends.Backends["a"].Port;

        await backends.StopAsync("a");
        var stopped = DateTime.UtcNow;
        await Poll.UntilAsync(() => a.Health.Status == HealthStatus.Unhealthy, "a is marked down");
        // Interval x Fall = 400 ms, plus one check's timeout and scheduling slack.
        Assert.True(DateTime.UtcNow - stopped < TimeSpan.FromSeconds(2), $"marked down after {DateTime.UtcNow - stopped}");

        // Retries are off here: any connection still sent to "a" would fail.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal("b", await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        backends.Start("a", port);
        await Poll.UntilAsync(() => a.Health.Status == HealthStatus.Healthy, "a is back after Rise checks");
        var seen = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            seen.Add(await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        Assert.Equal(["a", "b"], seen.Order());
    }

    [Fact]
    public async Task Tls_mode_marks_down_a_port_that_accepts_but_never_completes_a_handshake()
    {
        await using var mute = new RawTcpBackend(async socket => await RawTcpBackend.ReadToEndAsync(socket));
        await using var exchange = await TestBackend.StartAsync("exchange", TestCertificates.Get("exchange.test").Certificate);
        var settings = ActiveChecks("Tls");
        settings["Destinations"] = new JsonObject
        {
            ["mute"] = new JsonObject { ["Address"] = mute.Address },
            ["tls"] = new JsonObject { ["Address"] = exchange.Address },
        };
        await using var backends = new NamedBackends();
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(settings));

        await Poll.UntilAsync(() => Destination(gateway, "mute").Health.Status == HealthStatus.Unhealthy, "the mute port is down");
        await Poll.UntilAsync(() => Destination(gateway, "tls").Health.Status == HealthStatus.Healthy, "the TLS backend is up");
    }

    [Fact]
    public async Task A_failed_connect_is_retried_on_the_next_destination()
    {
        await using var backends = new NamedBackends("b");
        var settings = new JsonObject
        {
            ["LoadBalancingPolicy"] = "FirstAvailable",
            ["Retries"] = 1,
            ["Destinations"] = new JsonObject
            {
                ["dead"] = new JsonObject { ["Address"] = ClosedPort() },
                ["b"] = new JsonObject { ["Address"] = backends.Backends["b"].Address },
            },
        };
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(settings));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("b", await NamedBackends.WhichBackendAsync(gateway.Https));
        }
    }

    [Fact]
    public async Task When_every_destination_is_down_the_client_is_closed_at_once()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(ActiveChecks()));
        await backends.StopAsync("a");
        await Poll.UntilAsync(() => Destination(gateway, "a").Health.Status == HealthStatus.Unhealthy, "a is down");
        using var probe = new ConnectionOutcomeProbe(gateway);

        var started = DateTime.UtcNow;
        Assert.Equal("(closed)", await NamedBackends.WhichBackendAsync(gateway.Https));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1), "the client waited for a timeout");
        await Poll.UntilAsync(() => probe["no-destination"] == 1, "counted as no-destination");
    }

    private static PassthroughDestination Destination(TestGateway gateway, string id) =>
        gateway.Services.GetRequiredService<PassthroughClusters>().Get("pool")!.Find(id)!;

    private static string ClosedPort()
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}";
    }
}
