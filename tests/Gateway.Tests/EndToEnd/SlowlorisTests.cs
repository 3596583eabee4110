using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// Thousands of clients that connect and never finish a ClientHello - silent, or one byte a second - while a
/// normal client keeps working: the hostile ones cost bounded memory, all go at the hello timeout, and the
/// memory comes back.
/// </summary>
[Collection(SerialTests.Name)]
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class SlowlorisTests
{
    private const int Silent = 3000;
    private const int Trickling = 1000;
    private const int AttackerAddresses = 100;
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Silent_and_trickling_connections_are_closed_at_the_hello_timeout_while_normal_traffic_flows()
    {
        RaiseOpenFileLimit((Silent + Trickling) * 3);
        await using var backend = await TestBackend.StartAsync("app");
        var gateway = JsonNode.Parse($$"""
            {
              "ClientHello": { "Timeout": "{{HelloTimeout.TotalSeconds}}s" },
              "Limits": { "MaxConnectionsPerClientIp": 60, "NewConnectionsPerClientIpPerMinute": 600 }
            }
            """)!.AsObject();
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ "app.test" ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "a": { "Address": "http://{{backend.Address}}/" } } } }
            }
            """)!.AsObject();
        await using var target = await TestGateway.StartAsync(gateway, proxy);

        // Warm up, then take the baseline.
        using (var warm = HostClient.Create(target.Https, "app.test"))
        {
            Assert.StartsWith("app ", await warm.GetStringAsync("/"));
        }

        var baseline = Settle();

        using var outcomes = new ConnectionOutcomeProbe(target);
        using var stop = new CancellationTokenSource();
        var normal = NormalTrafficAsync(target, stop.Token);
        var attackers = await OpenAsync(target.Https, Silent + Trickling);
        var started = DateTime.UtcNow;
        var trickle = Task.WhenAll(attackers.Skip(Silent).Select(socket => TrickleAsync(socket, stop.Token)));

        // Every hostile connection is closed by the gateway, none after much more than the timeout: the clock starts
        // once the last one is connected, so the slowest close comes about one timeout later.
        var closed = await Task.WhenAll(attackers.Select(socket => WaitClosedAsync(socket, TimeSpan.FromSeconds(30))));
        var slowest = DateTime.UtcNow - started;
        await stop.CancelAsync();
        await trickle;
        var (succeeded, failed) = await normal;

        Assert.All(closed, Assert.True);
        Assert.InRange(slowest, HelloTimeout - TimeSpan.FromSeconds(0.5), HelloTimeout + TimeSpan.FromSeconds(5));
        Assert.Equal(0, failed);
        Assert.True(succeeded >= 20, $"only {succeeded} normal requests completed during the attack");
        await Poll.UntilAsync(() => outcomes["hello-timeout"] == Silent + Trickling, $"all {Silent + Trickling} hostile connections are counted as hello-timeout");

        foreach (var socket in attackers)
        {
            socket.Dispose();
        }

        attackers.Clear();

        // Kestrel returns idle pooled buffers on its own schedule; give it a moment before measuring.
        var after = Settle();
        for (var wait = 0; wait < 20 && after >= baseline + (8L << 20); wait++)
        {
            await Task.Delay(500);
            after = Settle();
        }

        // 4,000 connections held about 4 KiB of buffers each at the peak; what stays is the pool's working set.
        Assert.True(after < baseline + (16L << 20), $"managed memory {after >> 20} MiB after the attack, {baseline >> 20} MiB before");
    }

    private static async Task<(int Succeeded, int Failed)> NormalTrafficAsync(TestGateway gateway, CancellationToken stop)
    {
        var (succeeded, failed) = (0, 0);
        while (!stop.IsCancellationRequested)
        {
            // A fresh connection each round: the accept path and the TLS handshake must stay available too.
            using var client = HostClient.Create(gateway.Https, "app.test");
            for (var i = 0; i < 5 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    _ = await client.GetStringAsync("/", CancellationToken.None);
                    succeeded++;
                }
                catch (HttpRequestException)
                {
                    failed++;
                }
            }

            await Task.Delay(50, CancellationToken.None);
        }

        return (succeeded, failed);
    }

    /// <summary>Connects from many loopback addresses (127.0.1.x), as a botnet would, within the per-address limits.</summary>
    private static async Task<List<Socket>> OpenAsync(IPEndPoint gateway, int count)
    {
        var sockets = new Socket[count];
        for (var batch = 0; batch < count; batch += 250)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(250, count - batch)).Select(async i =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(new IPAddress([127, 0, 1, (byte)(1 + (i % AttackerAddresses))]), 0));
                await socket.ConnectAsync(gateway);
                sockets[i] = socket;
            }));
        }

        return [.. sockets];
    }

    /// <summary>The start of a TLS record, one byte a second, never finished.</summary>
    private static async Task TrickleAsync(Socket socket, CancellationToken stop)
    {
        byte[] bytes = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03];
        try
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await socket.SendAsync(bytes.AsMemory(i % bytes.Length, 1), SocketFlags.None, stop);
                await Task.Delay(1000, stop);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task<bool> WaitClosedAsync(Socket socket, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        var buffer = new byte[16];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) > 0)
            {
            }

            return true;
        }
        catch (SocketException)
        {
            return true; // reset counts as closed
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>8,000 sockets in one process (both ends of each connection) need more than a default 1,024 descriptors.</summary>
    private static void RaiseOpenFileLimit(int wanted)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        const int RlimitNofile = 7;
        var limit = new RLimit();
        if (GetRLimit(RlimitNofile, ref limit) == 0 && limit.Current < (ulong)wanted)
        {
            limit.Current = Math.Min((ulong)wanted, limit.Maximum);
            _ = SetRLimit(RlimitNofile, ref limit);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", EntryPoint = "getrlimit")]
    private static extern int GetRLimit(int resource, ref RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit")]
    private static extern int SetRLimit(int resource, ref RLimit limit);
}
