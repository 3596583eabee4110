using System.Net.Sockets;
using Gateway.Metrics;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// An SNI that is not a host name, or is an address, is closed and counted as an invalid hello on a real gateway: never
/// tunnelled to the host it resembles, never matched by a wildcard, never terminated.
/// </summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class InvalidSniTests(GatewayScenarioFixture fixture) : IClassFixture<GatewayScenarioFixture>
{
    private readonly GatewayScenario _scenario = fixture.Scenario;

    [Theory]
    [InlineData(GatewayScenario.ExchangeHost + "..")]
    [InlineData(GatewayScenario.ExchangeHost + "...")]
    [InlineData("." + GatewayScenario.ExchangeHost)]
    [InlineData(GatewayScenario.WildcardPassthroughHost + "..")]
    [InlineData("mailbox7..dag.test")]
    [InlineData("x.." + GatewayScenario.AppHost)]
    [InlineData(GatewayScenario.ExchangeHost + ":443")]
    [InlineData("127.1")]
    [InlineData("127.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("[::1]")]
    public async Task Is_closed_as_an_invalid_hello(string serverName)
    {
        using var probe = new ConnectionOutcomeProbe(_scenario.Gateway);

        using var socket = await SendHelloAsync(serverName);

        // Closed by the gateway with nothing sent back (no TLS answer): end of stream or a reset, well before the guard.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            Assert.Equal(0, await socket.ReceiveAsync(new byte[1024], SocketFlags.None, guard.Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        await Poll.UntilAsync(() => probe[ConnectionOutcomes.Invalid] == 1, "the connection is counted as an invalid hello");
        Assert.Equal(0, probe[ConnectionOutcomes.Tunnelled]);
        Assert.Equal(0, probe[ConnectionOutcomes.Terminated]);
    }

    [Theory]
    [InlineData(GatewayScenario.ExchangeHost + ".")]
    [InlineData(GatewayScenario.WildcardPassthroughHost + ".")]
    public async Task One_trailing_dot_is_still_the_passthrough_host(string serverName)
    {
        using var probe = new ConnectionOutcomeProbe(_scenario.Gateway);

        using var socket = await SendHelloAsync(serverName);

        await Poll.UntilAsync(() => probe[ConnectionOutcomes.Tunnelled] == 1, "the connection is tunnelled");
        Assert.Equal(0, probe[ConnectionOutcomes.Invalid]);
    }

    private async Task<Socket> SendHelloAsync(string serverName)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_scenario.Gateway.Https);
        await socket.SendAsync(new ClientHelloBuilder { ServerName = serverName, ApplicationProtocols = ["h2", "http/1.1"] }.ToRecords());
        return socket;
    }
}
