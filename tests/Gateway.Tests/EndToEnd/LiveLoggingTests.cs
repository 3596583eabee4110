using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Reload;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>A saved <c>Logging</c> edit is applied like the rest of the file, levels removed as well as added.</summary>
public sealed class LiveLoggingTests
{
    [Fact]
    public async Task A_logging_edit_applies_on_reload_and_a_removed_level_no_longer_applies()
    {
        var logs = new CapturedLogs();
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), WithLevels(new JsonObject { ["Default"] = "Warning", ["Gateway"] = "Warning" }));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        using var outcomes = new ConnectionOutcomeProbe(gateway);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();

        // A connection that is not TLS is logged at Debug (HelloRejected): not at Warning.
        await SendNotTlsAsync(gateway);
        await Poll.UntilAsync(() => outcomes["not-tls"] == 1, "the first refusal is counted");
        Assert.DoesNotContain(logs.Entries, e => e.Event.Name == "HelloRejected");

        // Default Debug, and the Gateway category's Warning removed: had the old level stayed, nothing would be logged.
        await gateway.WriteConfigAsync(null, null, WithLevels(new JsonObject { ["Default"] = "Debug", ["Microsoft"] = "Warning" }));
        Assert.True(await reloader.ReloadAsync());
        await SendNotTlsAsync(gateway);
        await Poll.UntilAsync(() => logs.Entries.Any(e => e.Event.Name == "HelloRejected"), "the refusal is logged at the new level");

        // And back: a level raised again silences it.
        await gateway.WriteConfigAsync(null, null, WithLevels(new JsonObject { ["Default"] = "Warning" }));
        Assert.True(await reloader.ReloadAsync());
        var before = logs.Entries.Count(e => e.Event.Name == "HelloRejected");
        await SendNotTlsAsync(gateway);
        await Poll.UntilAsync(() => outcomes["not-tls"] == 3, "the third refusal is counted");
        Assert.Equal(before, logs.Entries.Count(e => e.Event.Name == "HelloRejected"));
    }

    private static string WithLevels(JsonObject levels)
    {
        var root = JsonNode.Parse(TestGateway.Compose(null, null))!.AsObject();
        root["Logging"] = new JsonObject { ["LogLevel"] = levels };
        return root.ToJsonString();
    }

    private static async Task SendNotTlsAsync(TestGateway gateway)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(gateway.Https);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var buffer = new byte[64];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Closed with the request unread: a reset is as good as a close here.
        }
    }
}
