using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// What clients cause - a body sent too slowly, a backend that is down - is logged as a few lines without a stack
/// trace, however many clients cause it: no client can make the gateway fill a disk or a journal.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class ClientCausedLogTests
{
    private const int SlowClients = 200;

    [Fact]
    public async Task Slow_bodies_and_a_down_backend_cost_a_bounded_number_of_lines_without_stack_traces()
    {
        // Reads what it is sent and never answers: the body the gateway forwards is only ever as slow as its client.
        await using var backend = new RawTcpBackend(async socket =>
        {
            var buffer = new byte[4096];
            while (await socket.ReceiveAsync(buffer) > 0)
            {
            }
        });
        using var closed = new ClosedPort();
        var down = closed.Address;
        var logs = new CapturedLogs();
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        var config = JsonNode.Parse(TestGateway.Compose(
            JsonNode.Parse("""{ "Limits": { "MaxConnectionsPerClientIp": 10000, "NewConnectionsPerClientIpPerMinute": 100000, "Http": { "MinRequestBodyDataRate": 1000 } } }""")!.AsObject(),
            JsonNode.Parse($$"""
                {
                  "Routes": {
                    "app": { "ClusterId": "app", "Match": { "Hosts": [ "app.test" ], "Path": "{**catch-all}" } },
                    "down": { "ClusterId": "down", "Match": { "Hosts": [ "down.test" ], "Path": "{**catch-all}" } }
                  },
                  "Clusters": {
                    "app": { "Destinations": { "a": { "Address": "http://{{backend.Address}}/" } } },
                    "down": { "Destinations": { "d": { "Address": "http://{{down}}/" } } }
                  }
                }
                """)!.AsObject()))!;
        // The levels appsettings.json ships with.
        config["Logging"] = JsonNode.Parse("""{ "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning", "Gateway": "Information" } }""");
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), config.ToJsonString());
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var before = logs.Entries.Count;

        var slow = await Task.WhenAll(Enumerable.Range(0, SlowClients).Select(_ => StartSlowBodyAsync(gateway)));
        using (var client = HostClient.Create(gateway.Https, "down.test"))
        {
            for (var i = 0; i < 50; i++)
            {
                using var answer = await client.GetAsync("/");
                Assert.Equal(502, (int)answer.StatusCode);
            }
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var trickling = slow.Select(stream => TrickleUntilClosedAsync(stream, stop.Token)).ToList();
        await Task.WhenAll(trickling);
        Assert.All(trickling, t => Assert.True(t.Result, "the gateway closed the slow body"));

        // Within an interval or two, one line per route and kind says how many.
        List<(string Category, LogLevel Level, EventId Event, string Message, Exception? Error)> Summaries() =>
            [.. logs.Entries.Where(e => e.Event.Name == "ForwardingErrors")];
        await Poll.UntilAsync(() => Summaries().Any(e => e.Message.Contains("route app", StringComparison.Ordinal))
                && Summaries().Any(e => e.Message.Contains("route down", StringComparison.Ordinal)),
            "the forwarding errors are summed up", TimeSpan.FromSeconds(40));
        var entries = logs.Entries.Skip(before).ToList();
        Assert.True(entries.Count <= 20, $"{entries.Count} lines for {SlowClients} slow clients and 50 requests to a down backend:\n"
            + string.Join('\n', entries.Take(10).Select(e => $"{e.Level} {e.Category} {e.Event.Name}: {e.Message}")));
        Assert.DoesNotContain(entries, e => e.Error is not null);
        // Kestrel's own timer running late says the machine is busy, not what a client did.
        Assert.DoesNotContain(entries, e => e.Level > LogLevel.Information && e.Event.Name != "HeartbeatSlow");
        Assert.Equal(SlowClients, Summaries().Where(e => e.Message.Contains("route app", StringComparison.Ordinal)).Sum(CountOf));
        Assert.Equal(50, Summaries().Where(e => e.Message.Contains("route down", StringComparison.Ordinal)).Sum(CountOf));
        Assert.Contains(Summaries(), e => e.Message.Contains("too slowly", StringComparison.Ordinal));
        Assert.Contains(Summaries(), e => e.Message.Contains("refused", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task A_down_destination_and_a_full_cluster_cost_a_bounded_number_of_lines_for_any_number_of_clients()
    {
        const int Clients = 150;
        using var closed = new ClosedPort();
        await using var holder = new RawTcpBackend(async socket =>
        {
            while (await socket.ReceiveAsync(new byte[256]) > 0)
            {
            }
        });
        var logs = new CapturedLogs();
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        var config = JsonNode.Parse(TestGateway.Compose(
            JsonNode.Parse($$"""
                {
                  "Limits": { "MaxConnectionsPerClientIp": 10000, "NewConnectionsPerClientIpPerMinute": 100000 },
                  "Passthrough": {
                    "Clusters": {
                      "down": {
                        "Destinations": { "d": { "Address": "{{closed.Address}}" } },
                        "HealthCheck": { "Active": { "Enabled": true, "Interval": "01:00:00", "Fall": 3 } }
                      },
                      "full": { "MaxConnections": 1, "Destinations": { "f": { "Address": "{{holder.Address}}" } } }
                    },
                    "Streams": {
                      "down": { "Listen": "127.0.0.1:0", "ClusterId": "down" },
                      "full": { "Listen": "127.0.0.1:0", "ClusterId": "full" }
                    }
                  }
                }
                """)!.AsObject(), null))!;
        config["Logging"] = JsonNode.Parse("""{ "LogLevel": { "Default": "Information", "Microsoft.AspNetCore": "Warning", "Gateway": "Information" } }""");
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), config.ToJsonString());
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var listeners = gateway.Services.GetRequiredService<GatewayListeners>();
        using var held = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await held.ConnectAsync(listeners.Stream("full")!);
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 1, "the full cluster's one tunnel is open");
        var before = logs.Entries.Count;

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            await ConnectUntilClosedAsync(listeners.Stream("down")!);
            await ConnectUntilClosedAsync(listeners.Stream("full")!);
        }));

        List<(string Category, LogLevel Level, EventId Event, string Message, Exception? Error)> Named(string name) =>
            [.. logs.Entries.Where(e => e.Event.Name == name)];
        await Poll.UntilAsync(() => Named("ConnectFailed").Sum(CountOf) + Named("NoDestination").Sum(CountOf) == Clients
                && Named("ClusterFull").Sum(CountOf) == Clients,
            "every refused connection is counted in a summary line", TimeSpan.FromSeconds(40));
        var entries = logs.Entries.Skip(before).ToList();
        Assert.True(entries.Count <= 10, $"{entries.Count} lines for {Clients} clients on a down destination and as many on a full cluster:\n"
            + string.Join('\n', entries.Take(10).Select(e => $"{e.Level} {e.Category} {e.Event.Name}: {e.Message}")));
        Assert.DoesNotContain(entries, e => e.Error is not null);
        // The one line above Information is the destination's change of state, said once.
        Assert.Equal(["DestinationDownOnConnect"], entries.Where(e => e.Level > LogLevel.Information && e.Event.Name != "HeartbeatSlow").Select(e => e.Event.Name!));
        Assert.Contains(Named("ConnectFailed"), e => e.Message.Contains("destination d", StringComparison.Ordinal) && e.Message.Contains("SNI -", StringComparison.Ordinal));
        Assert.Contains(Named("ClusterFull"), e => e.Message.Contains("cluster full", StringComparison.Ordinal));
    }

    /// <summary>Connects, and waits for the gateway to close the connection it cannot tunnel.</summary>
    private static async Task ConnectUntilClosedAsync(EndPoint endpoint)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await socket.ReceiveAsync(new byte[16], SocketFlags.None, bound.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // reset: closed as well
        }
    }

    private static int CountOf((string Category, LogLevel Level, EventId Event, string Message, Exception? Error) entry) =>
        int.Parse(entry.Message.AsSpan(0, entry.Message.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);

    private static async Task<SslStream> StartSlowBodyAsync(TestGateway gateway)
    {
        var stream = await TlsHandshake.HandshakeAsync(gateway.Https, "app.test", [SslApplicationProtocol.Http11]);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100000\r\n\r\n"));
        return stream;
    }

    /// <summary>A byte a second until the gateway gives up on the body; true when it did.</summary>
    private static async Task<bool> TrickleUntilClosedAsync(SslStream stream, CancellationToken stop)
    {
        using (stream)
        {
            var reading = stream.ReadAsync(new byte[4096], stop).AsTask();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (reading.IsCompleted)
                    {
                        return true;
                    }

                    await stream.WriteAsync("x"u8.ToArray(), stop);
                    await Task.WhenAny(reading, Task.Delay(1000, stop));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                return !stop.IsCancellationRequested;
            }

            return false;
        }
    }
}
