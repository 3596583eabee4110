using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// What a tunnel's dial costs besides the connect. On the epoll engine only (the default): .NET's sockets report a
/// cancelled wait with an exception, which its engine catches.
/// </summary>
public sealed class TunnelDialTests
{
    [Fact]
    public async Task A_dial_that_succeeds_ends_its_watch_on_the_client_without_an_exception()
    {
        // Every dial watches its client, so that a client that leaves frees its slots at once, and every dial that
        // succeeds cancels that watch: an exception there was thrown and caught for every new tunnel.
        var thrown = 0;
        void Count(object? sender, FirstChanceExceptionEventArgs e)
        {
            // The epoll engine's waiter only: other tests in this process run gateways on .NET's sockets, whose cancelled
            // wait throws inside the socket and is caught by design.
            if (e.Exception is OperationCanceledException && Environment.StackTrace is var stack
                && stack.Contains("WatchClientAsync", StringComparison.Ordinal) && stack.Contains("ReadinessWaiter", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref thrown);
            }
        }

        await using var backend = new RawTcpBackend(async socket =>
        {
            await socket.SendAsync("ok"u8.ToArray());
            await RawTcpBackend.ReadToEndAsync(socket);
        });
        await using var gateway = await TunnelTests.StartRawGatewayAsync(backend.Address);
        var hello = RealClientHello.Capture("raw.test");
        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            for (var i = 0; i < 20; i++)
            {
                using var client = await TunnelTests.ConnectAsync(gateway);
                await client.SendAsync(hello);
                using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                var answer = new byte[2];
                for (var read = 0; read < answer.Length;)
                {
                    var count = await client.ReceiveAsync(answer.AsMemory(read), SocketFlags.None, guard.Token);
                    Assert.NotEqual(0, count);
                    read += count;
                }

                Assert.Equal("ok"u8.ToArray(), answer);
            }
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(20, backend.Accepted);
        Assert.Equal(0, thrown);
    }
}
