using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.EndToEnd;

[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TunnelTests
{
    private const string RawHost = "raw.test";

    [Fact]
    public async Task A_100_MB_download_through_the_tunnel_arrives_intact()
    {
        await using var scenario = await GatewayScenario.StartAsync();
        using var client = new GatewayClient(scenario.Gateway.Https);
        const long size = 100L * 1024 * 1024;

        using var response = await client.Http.GetAsync(client.Url(GatewayScenario.ExchangeHost, $"/big?bytes={size}"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = await SHA256.HashDataAsync(body);

        Assert.Equal(ExpectedBigHash(size), received);
        Assert.Equal(GatewayScenario.ExchangeCertificate.Thumbprint, client.ServerCertificateThumbprint);
    }

    [Fact]
    public async Task Client_half_close_reaches_the_backend_which_can_still_answer()
    {
        await using var backend = new RawTcpBackend(async socket =>
        {
            var everything = await RawTcpBackend.ReadToEndAsync(socket);
            await socket.SendAsync(SHA256.HashData(everything));
        });
        await using var gateway = await StartRawGatewayAsync(backend.Address);
        var hello = RealClientHello.Capture(RawHost);
        var payload = new byte[1024 * 1024];
        new Random(1).NextBytes(payload);

        using var client = await ConnectAsync(gateway);
        await client.SendAsync(hello);
        await client.SendAsync(payload);
        client.Shutdown(SocketShutdown.Send);
        var answer = await RawTcpBackend.ReadToEndAsync(client);

        // The backend saw the peeked hello replayed first, then the payload, then our FIN.
        Assert.Equal(SHA256.HashData([.. hello, .. payload]), answer);
    }

    [Fact]
    public async Task Backend_close_delivers_every_byte_then_closes_the_client()
    {
        var data = new byte[3 * 1024 * 1024];
        new Random(2).NextBytes(data);
        var hello = RealClientHello.Capture(RawHost);
        await using var backend = new RawTcpBackend(async socket =>
        {
            // Read what was sent first: closing a socket with unread bytes resets it, losing data in flight.
            await ReceiveExactlyAsync(socket, hello.Length);
            await socket.SendAsync(data);
            socket.Shutdown(SocketShutdown.Send);
            await RawTcpBackend.ReadToEndAsync(socket);
        });
        await using var gateway = await StartRawGatewayAsync(backend.Address);

        using var client = await ConnectAsync(gateway);
        await client.SendAsync(hello);
        var received = await RawTcpBackend.ReadToEndAsync(client);

        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received));
        client.Shutdown(SocketShutdown.Send);
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "the tunnel is gone");
    }

    [Fact]
    public async Task After_the_backend_finishes_a_client_that_still_sends_gets_every_byte_and_the_backend_what_it_sent()
    {
        var data = new byte[1024 * 1024];
        new Random(3).NextBytes(data);
        var hello = RealClientHello.Capture(RawHost);
        var late = "sent after the backend's FIN"u8.ToArray();
        var heard = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new RawTcpBackend(async socket =>
        {
            await ReceiveExactlyAsync(socket, hello.Length);
            await socket.SendAsync(data);
            socket.Shutdown(SocketShutdown.Send);

            // Done sending, still reading: a half-close, the other way round.
            heard.TrySetResult(await RawTcpBackend.ReadToEndAsync(socket));
        });
        await using var gateway = await StartRawGatewayAsync(backend.Address);

        // The client reads slowly, a block at a time, until the gateway has the backend's FIN and has passed it on to
        // the client's socket: then the rest of the data still waits there, in front of the FIN.
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 16 * 1024 };
        await client.ConnectAsync(gateway.Https);
        await client.SendAsync(hello);
        var local = (IPEndPoint)client.LocalEndPoint!;
        var received = new MemoryStream();
        var block = new byte[16 * 1024];
        await Poll.UntilAsync(async () =>
        {
            if (TcpStates.Of(gateway.Https, local) is { } state && state != TcpStates.Established)
            {
                return true;
            }

            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            received.Write(block, 0, await client.ReceiveAsync(block, SocketFlags.None, guard.Token));
            return false;
        }, TimeSpan.FromSeconds(60), "the gateway has passed the backend's FIN on to the client's socket");
        Assert.True(received.Length < data.Length / 2, $"only {data.Length - received.Length} bytes were still on their way");

        // Bytes arriving at a socket its owner closed make it send a reset, which throws away the data still queued.
        await client.SendAsync(late);
        received.Write(await RawTcpBackend.ReadToEndAsync(client));
        Assert.Equal(data.Length, received.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(received.ToArray()));

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(late, await heard.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "the tunnel is gone once the client finished too");
    }

    [Fact]
    public async Task Idle_timeout_closes_a_silent_tunnel_but_not_a_talking_one()
    {
        await using var backend = new RawTcpBackend(async socket =>
        {
            var buffer = new byte[1024];
            int count;
            while ((count = await socket.ReceiveAsync(buffer)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, count));
            }
        });
        await using var gateway = await StartRawGatewayAsync(backend.Address, idleTimeout: "00:00:01");
        using var silent = await ConnectAsync(gateway);
        using var talking = await ConnectAsync(gateway);
        await silent.SendAsync(RealClientHello.Capture(RawHost));
        var hello = RealClientHello.Capture(RawHost);
        await talking.SendAsync(hello);
        await ReceiveExactlyAsync(talking, hello.Length);

        var started = DateTime.UtcNow;
        var silentClosed = WaitForCloseAsync(silent);
        while (DateTime.UtcNow - started < TimeSpan.FromSeconds(3))
        {
            await talking.SendAsync("ping"u8.ToArray());
            await ReceiveExactlyAsync(talking, 4);
            await Task.Delay(250);
        }

        Assert.True(silentClosed.IsCompleted, "the silent tunnel outlived three idle timeouts");
        await silentClosed;
        await talking.SendAsync("still here"u8.ToArray());
        await ReceiveExactlyAsync(talking, 10);
    }

    [Fact]
    public async Task Unreachable_destination_closes_the_client_at_once()
    {
        using var unused = new Socket(SocketType.Stream, ProtocolType.Tcp);
        unused.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var deadAddress = $"127.0.0.1:{((System.Net.IPEndPoint)unused.LocalEndPoint!).Port}"; // bound, never listening
        await using var gateway = await StartRawGatewayAsync(deadAddress);
        using var probe = new ConnectionOutcomeProbe(gateway);

        using var client = await ConnectAsync(gateway);
        await client.SendAsync(RealClientHello.Capture(RawHost));
        await WaitForCloseAsync(client);

        await Poll.UntilAsync(() => probe["connect-failed"] == 1, "the failed connect is counted");
    }

    internal static Task<TestGateway> StartRawGatewayAsync(string backendAddress, string idleTimeout = "01:00:00") =>
        TestGateway.StartAsync(new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["raw"] = new JsonObject { ["Hosts"] = new JsonArray(RawHost), ["ClusterId"] = "raw" } },
                ["Clusters"] = new JsonObject
                {
                    ["raw"] = new JsonObject
                    {
                        ["Destinations"] = new JsonObject { ["raw01"] = new JsonObject { ["Address"] = backendAddress } },
                        ["IdleTimeout"] = idleTimeout,
                        ["ConnectTimeout"] = "00:00:02",
                    },
                },
            },
        });

    internal static async Task<Socket> ConnectAsync(TestGateway gateway)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(gateway.Https);
        return socket;
    }

    internal static async Task WaitForCloseAsync(Socket socket)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token) > 0)
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, int count)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        for (var received = 0; received < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, guard.Token);
            Assert.True(n > 0, "the tunnel closed early");
            received += n;
        }
    }

    private static byte[] ExpectedBigHash(long size)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        for (long offset = 0; offset < size; offset += buffer.Length)
        {
            var count = (int)Math.Min(buffer.Length, size - offset);
            BigPayload.Fill(buffer.AsSpan(0, count), offset);
            hash.AppendData(buffer, 0, count);
        }

        return hash.GetHashAndReset();
    }
}
