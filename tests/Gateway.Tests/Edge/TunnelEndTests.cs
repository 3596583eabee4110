using System.Net.Sockets;
using System.Security.Cryptography;
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
    public async Task A_client_that_resets_while_the_backend_is_dialled_is_let_go_before_the_connect_timeout()
    {
        // A connect to it hangs until ConnectTimeout.
        using var full = new HangingListener();
        var logs = new CapturedLogs();
        await using var gateway = await StartAsync(Cluster(TimeSpan.FromMinutes(1), full.EndPoint.ToString()), logs);
        using var probe = new ConnectionOutcomeProbe(gateway);

        using (var client = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(gateway.Https);
            await client.SendAsync(new ClientHelloBuilder { ServerName = "slow.test" }.ToRecords());
            await Poll.UntilAsync(() => TcpStates.Dialling(full.EndPoint), "the gateway dials");
            client.LingerState = new LingerOption(true, 0);
        }

        await Poll.UntilAsync(() => probe["closed-early"] == 1, "the dial is given up when the client resets", TimeSpan.FromSeconds(10),
            () => $"tunnelled {probe["tunnelled"]}, closed-early {probe["closed-early"]}, connect-failed {probe["connect-failed"]}, open tunnels {gateway.ActiveTunnels}; " + string.Join(" | ", logs.Entries.Where(e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Warning).Select(e => e.Message)));
        Assert.Equal(0, probe["connect-failed"]);
    }

    [Fact]
    public async Task A_client_that_half_closes_while_the_backend_is_dialled_still_gets_its_answer()
    {
        // The first destination hangs until the connect timeout, the second answers: the dial outlasts the client's FIN.
        using var full = new HangingListener();
        await using var backend = new RawTcpBackend(async socket =>
        {
            var everything = await RawTcpBackend.ReadToEndAsync(socket);
            await socket.SendAsync(SHA256.HashData(everything));
        });
        await using var gateway = await StartAsync(Cluster(TimeSpan.FromSeconds(1), full.EndPoint.ToString(), backend.Address), new CapturedLogs());
        using var probe = new ConnectionOutcomeProbe(gateway);

        // A one-shot client: its request, then its side shut, before the backend is even reached.
        var hello = new ClientHelloBuilder { ServerName = "slow.test" }.ToRecords();
        var request = "the whole request"u8.ToArray();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(gateway.Https);
        await client.SendAsync((byte[])[.. hello, .. request]);
        client.Shutdown(SocketShutdown.Send);
        await Poll.UntilAsync(() => TcpStates.Dialling(full.EndPoint), "the gateway dials the hanging destination");

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = await RawTcpBackend.ReadToEndAsync(client).WaitAsync(guard.Token);
        Assert.Equal(SHA256.HashData([.. hello, .. request]), answer);
        Assert.Equal(0, probe["closed-early"]);
    }

    /// <summary>A route for slow.test to destinations tried in order (the first one first), once each.</summary>
    private static JsonObject Cluster(TimeSpan connectTimeout, params string[] addresses)
    {
        var destinations = new JsonObject();
        for (var i = 0; i < addresses.Length; i++)
        {
            destinations[$"d{i}"] = new JsonObject { ["Address"] = addresses[i] };
        }

        return new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["slow"] = new JsonObject { ["Hosts"] = new JsonArray("slow.test"), ["ClusterId"] = "slow" } },
                ["Clusters"] = new JsonObject
                {
                    ["slow"] = new JsonObject
                    {
                        ["Destinations"] = destinations,
                        ["LoadBalancingPolicy"] = "FirstAvailable",
                        ["ConnectTimeout"] = connectTimeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                        ["Retries"] = addresses.Length - 1,
                    },
                },
            },
        };
    }

    private static async Task<TestGateway> StartAsync(JsonObject section, CapturedLogs logs)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-dial-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(section, null));
        return await TestGateway.StartInAsync(directory, null, logs);
    }
}
