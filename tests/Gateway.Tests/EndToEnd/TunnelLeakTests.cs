using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.EndToEnd;

[Collection(SerialTests.Name)]
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TunnelLeakTests
{
    private const int TunnelsPerEnding = 10;

    [Fact]
    public async Task Every_way_a_tunnel_can_end_returns_sockets_and_tunnels_to_baseline()
    {
        var hello = RealClientHello.Capture("raw.test");
        await using var backend = new RawTcpBackend(async socket =>
        {
            var first = new byte[hello.Length];
            for (var read = 0; read < first.Length;)
            {
                var n = await socket.ReceiveAsync(first.AsMemory(read));
                if (n == 0)
                {
                    return;
                }

                read += n;
            }

            // Acknowledge the hello, so the client knows the tunnel is established before it ends it;
            // then the byte the client sends next tells this backend how the tunnel should end.
            await socket.SendAsync("k"u8.ToArray());
            var command = new byte[1];
            if (await socket.ReceiveAsync(command) == 0)
            {
                return;
            }

            if (command[0] == (byte)'c')
            {
                socket.Shutdown(SocketShutdown.Send);
                await RawTcpBackend.ReadToEndAsync(socket);
            }
            else if (command[0] == (byte)'r')
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            else
            {
                await RawTcpBackend.ReadToEndAsync(socket);
            }
        });
        await using var gateway = await TunnelTests.StartRawGatewayAsync(backend.Address, idleTimeout: "00:00:01");

        // Warm up once so lazily created process-wide handles (epoll, timers) are in the baseline.
        await RunTunnelAsync(gateway, hello, Ending.ClientCloses);
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "the warm-up tunnel is gone");
        var baseline = OpenSockets();

        var tunnels = new List<Task>();
        foreach (var ending in Enum.GetValues<Ending>())
        {
            for (var i = 0; i < TunnelsPerEnding; i++)
            {
                tunnels.Add(RunTunnelAsync(gateway, hello, ending));
            }
        }

        await Poll.UntilAsync(() => gateway.ActiveTunnels > 0, "tunnels are open");
        await Task.WhenAll(tunnels);

        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "every tunnel has ended");
        await Poll.UntilAsync(() => OpenSockets() <= baseline, $"open sockets are back to {baseline} (now {OpenSockets()})");
        Assert.Equal(1 + (Enum.GetValues<Ending>().Length * TunnelsPerEnding), backend.Accepted);
    }

    private enum Ending
    {
        ClientCloses,
        ClientResets,
        BackendCloses,
        BackendResets,
        IdleTimeout,
    }

    private static async Task RunTunnelAsync(TestGateway gateway, byte[] hello, Ending ending)
    {
        using var client = await TunnelTests.ConnectAsync(gateway);
        await client.SendAsync(hello);
        var ack = new byte[1];
        using (var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(1, await client.ReceiveAsync(ack, SocketFlags.None, guard.Token));
        }

        switch (ending)
        {
            case Ending.ClientCloses:
                await client.SendAsync("w"u8.ToArray());
                client.Shutdown(SocketShutdown.Send);
                await TunnelTests.WaitForCloseAsync(client);
                break;
            case Ending.ClientResets:
                await client.SendAsync("w"u8.ToArray());
                client.LingerState = new LingerOption(true, 0);
                client.Close();
                break;
            case Ending.BackendCloses:
                await client.SendAsync("c"u8.ToArray());
                await TunnelTests.WaitForCloseAsync(client);
                break;
            case Ending.BackendResets:
                await client.SendAsync("r"u8.ToArray());
                await TunnelTests.WaitForCloseAsync(client);
                break;
            case Ending.IdleTimeout:
                await client.SendAsync("w"u8.ToArray());
                await TunnelTests.WaitForCloseAsync(client);
                break;
        }
    }

    /// <summary>Socket descriptors of this process (gateway, backend and clients all live here).</summary>
    private static int OpenSockets() => Directory.GetFileSystemEntries("/proc/self/fd").Count(path =>
    {
        try
        {
            return new FileInfo(path).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false; // closed while we looked
        }
    });
}
