using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Metrics;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.EndToEnd;

/// <summary>Connections that never become a valid ClientHello are closed promptly and counted, and hurt nobody else.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class HostileClientTests : IAsyncLifetime
{
    private GatewayScenario _scenario = null!;

    public static TheoryData<string, string> Cases => new()
    {
        { "plain HTTP", ConnectionOutcomes.NotTls },
        { "random bytes", ConnectionOutcomes.NotTls },
        { "SSLv2 hello", ConnectionOutcomes.NotTls },
        { "malformed hello", ConnectionOutcomes.Invalid },
        { "over-size hello", ConnectionOutcomes.TooLarge },
        { "silent client", ConnectionOutcomes.HelloTimeout },
        { "half a hello, then close", ConnectionOutcomes.ClosedEarly },
    };

    public async Task InitializeAsync() =>
        _scenario = await GatewayScenario.StartAsync(new JsonObject { ["Timeout"] = "00:00:01", ["MaxBytes"] = 16384 });

    public async Task DisposeAsync() => await _scenario.DisposeAsync();

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Is_closed_and_counted_while_an_open_tunnel_keeps_working(string client, string outcome)
    {
        using var probe = new ConnectionOutcomeProbe(_scenario.Gateway);
        using var good = new GatewayClient(_scenario.Gateway.Https);
        Assert.StartsWith("exchange ", await good.Http.GetStringAsync(good.Url(GatewayScenario.ExchangeHost)));
        var tunnel = good.LastStream;

        using var bad = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await bad.ConnectAsync(_scenario.Gateway.Https);
        var payload = Payload(client);
        if (payload.Length > 0)
        {
            await bad.SendAsync(payload);
        }

        if (client == "half a hello, then close")
        {
            bad.Shutdown(SocketShutdown.Send);
        }

        // Closed by the gateway: end of stream or a reset, well before the 30 s guard.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var received = await bad.ReceiveAsync(new byte[1024], SocketFlags.None, guard.Token);
            Assert.Equal(0, received);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await Poll.UntilAsync(() => probe[outcome] == 1, $"one '{outcome}' connection is counted");
        Assert.StartsWith("exchange ", await good.Http.GetStringAsync(good.Url(GatewayScenario.ExchangeHost)));
        Assert.Same(tunnel, good.LastStream);
    }

    private static byte[] Payload(string client) => client switch
    {
        "plain HTTP" => "GET / HTTP/1.1\r\nHost: exchange.test\r\n\r\n"u8.ToArray(),
        "random bytes" => RandomBytes(),
        "SSLv2 hello" => [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00, 0x80, 0x03, 0x00, 0x80, 0x07, 0x00, 0xc0, 0x06, 0x00, 0x40, 0x02, 0x00, 0x80, 0x04, 0x00, 0x80, 0x00, 0x00, 0x04, 0x00, 0xfe, 0xff, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x09, 0x00, 0x00, 0x64, 0x00, 0x00, 0x62, 0x00, 0x00, 0x03, 0x00, 0x00, 0x06],
        "malformed hello" => MalformedHello(),
        "over-size hello" => new ClientHelloBuilder { ServerName = GatewayScenario.ExchangeHost, PadHandshakeTo = 20000 }.ToRecords(),
        "half a hello, then close" => RealClientHello.Capture(GatewayScenario.ExchangeHost)[..40],
        _ => [],
    };

    private static byte[] RandomBytes()
    {
        var bytes = new byte[512];
        new Random(7).NextBytes(bytes);
        bytes[0] = (byte)'Z';
        return bytes;
    }

    private static byte[] MalformedHello()
    {
        var hello = RealClientHello.Capture(GatewayScenario.ExchangeHost);
        hello[5] = 2; // handshake type server_hello where client_hello belongs
        return hello;
    }
}
