using System.Net.Sockets;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.Edge;

/// <summary>The bytes the edge read while routing are the first thing a tunnel's backend receives.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TunnelPrefixTests
{
    [Fact]
    public async Task A_large_client_hello_arriving_in_pieces_reaches_the_backend_byte_for_byte()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway());
        // Larger than the first receive buffer, so the edge grows it while the pieces come in.
        var hello = new ClientHelloBuilder { ServerName = NamedBackends.Host, PadHandshakeTo = 10_000 }.ToRecords();

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(gateway.Https);
        for (var offset = 0; offset < hello.Length; offset += 1_000)
        {
            await client.SendAsync(hello.AsMemory(offset, Math.Min(1_000, hello.Length - offset)));
            await Task.Delay(2);
        }

        Assert.Equal("a", await NamedBackends.ReadLineAsync(client));
        var echoed = new byte[hello.Length];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (var read = 0; read < echoed.Length;)
        {
            var n = await client.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, guard.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(hello, echoed);
    }
}
