using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.Edge;

/// <summary>How the edge ends a tunnel, and a connection on its way to becoming one.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TunnelEndTests
{
    [Fact]
    public async Task An_idle_timeout_closes_the_client_with_a_fin_not_a_reset()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject { ["IdleTimeout"] = "00:00:01" }));
        var (tunnel, _) = await NamedBackends.ConnectAsync(gateway.Https);
        using var _ = tunnel;

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await tunnel.ReceiveAsync(new byte[16], SocketFlags.None, guard.Token)); // a reset would throw
    }

    [Fact]
    public async Task A_client_that_leaves_while_the_backend_is_dialled_is_let_go_before_the_connect_timeout()
    {
        // A connect to it hangs until ConnectTimeout.
        using var full = new HangingListener();

        var section = new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["slow"] = new JsonObject { ["Hosts"] = new JsonArray("slow.test"), ["ClusterId"] = "slow" } },
                ["Clusters"] = new JsonObject
                {
                    ["slow"] = new JsonObject
                    {
                        ["Destinations"] = new JsonObject { ["d"] = new JsonObject { ["Address"] = full.EndPoint.ToString() } },
                        ["ConnectTimeout"] = "00:01:00",
                    },
                },
            },
        };
        var directory = Directory.CreateTempSubdirectory("gateway-dial-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(section, null));
        var logs = new CapturedLogs();
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        using var probe = new ConnectionOutcomeProbe(gateway);

        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(gateway.Https);
            await client.SendAsync(new ClientHelloBuilder { ServerName = "slow.test" }.ToRecords());
            await Task.Delay(300);
        }

        await Poll.UntilAsync(() => probe["closed-early"] == 1, "the dial is given up when the client leaves", TimeSpan.FromSeconds(10),
            () => $"tunnelled {probe["tunnelled"]}, closed-early {probe["closed-early"]}, connect-failed {probe["connect-failed"]}, open tunnels {gateway.ActiveTunnels}; " + string.Join(" | ", logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Message)));
        Assert.Equal(0, probe["connect-failed"]);
    }
}
