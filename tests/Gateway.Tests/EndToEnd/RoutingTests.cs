using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.Certificates;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class RoutingTests(GatewayScenarioFixture fixture) : IClassFixture<GatewayScenarioFixture>
{
    private GatewayScenario Scenario => fixture.Scenario;

    public static TheoryData<HelloShape> Shapes => [.. Enum.GetValues<HelloShape>()];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Passthrough_host_reaches_its_backend_with_the_backends_own_certificate(HelloShape shape)
    {
        using var client = new GatewayClient(Scenario.Gateway.Https, shape);

        var body = await client.Http.GetStringAsync(client.Url(GatewayScenario.ExchangeHost));

        Assert.StartsWith("exchange ", body);
        Assert.Equal(GatewayScenario.ExchangeCertificate.Thumbprint, client.ServerCertificateThumbprint);
        AssertShapeWasReal(client, shape);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Terminated_host_reaches_its_yarp_cluster_with_the_gateways_certificate(HelloShape shape)
    {
        using var client = new GatewayClient(Scenario.Gateway.Https, shape);

        var body = await client.Http.GetStringAsync(client.Url(GatewayScenario.AppHost));

        Assert.StartsWith("app ", body);
        Assert.Contains($"forwarded-host={GatewayScenario.AppHost}", body);
        Assert.Equal(GatewayScenario.AppCertificate.Thumbprint, client.ServerCertificateThumbprint);
        AssertShapeWasReal(client, shape);
    }

    [Theory]
    [InlineData("EXCHANGE.test")]
    [InlineData("autodiscover.test.")]
    [InlineData("mailbox7.dag.test")]
    [InlineData("a.b.dag.test")]
    public async Task Passthrough_matching_ignores_case_and_trailing_dot_and_honours_wildcards(string host)
    {
        using var client = new GatewayClient(Scenario.Gateway.Https);

        var body = await client.Http.GetStringAsync(client.Url(host));

        Assert.StartsWith("exchange ", body);
    }

    [Theory]
    [InlineData("unknown.test")]
    [InlineData("dag.test")]
    [InlineData("127.0.0.1")]
    public async Task Unknown_or_missing_sni_goes_to_l7_with_the_self_signed_fallback(string host)
    {
        using var client = new GatewayClient(Scenario.Gateway.Https);
        var url = client.Url(host);

        var body = await client.Http.GetStringAsync(url);

        Assert.StartsWith("app ", body);
        Assert.Equal(SelfSignedThumbprint(), client.ServerCertificateThumbprint);
        if (host == "127.0.0.1")
        {
            Assert.Null(Gateway.Sni.ClientHelloParser.Parse(client.LastStream!.ClientHello, 16384).Hello!.ServerName);
        }
    }

    [Fact]
    public async Task A_passthrough_host_asked_over_a_terminated_connection_gets_421()
    {
        using var client = new GatewayClient(Scenario.Gateway.Https);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Url(GatewayScenario.AppHost)) { Headers = { Host = GatewayScenario.ExchangeHost } };

        using var response = await client.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Fact]
    public async Task Http2_is_negotiated_by_alpn_on_terminated_hosts()
    {
        using var client = new GatewayClient(Scenario.Gateway.Https, version: HttpVersion.Version20);

        using var response = await client.Http.GetAsync(client.Url(GatewayScenario.AppHost));

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.StartsWith("app ", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Http2_reaches_a_passthrough_backend_end_to_end()
    {
        using var client = new GatewayClient(Scenario.Gateway.Https, version: HttpVersion.Version20);

        var body = await client.Http.GetStringAsync(client.Url(GatewayScenario.ExchangeHost));

        Assert.StartsWith("exchange HTTP/2", body);
    }

    [Fact]
    public async Task WebSockets_work_through_l7()
    {
        using var client = new GatewayClient(Scenario.Gateway.Https);
        using var socket = new System.Net.WebSockets.ClientWebSocket();

        await socket.ConnectAsync(new Uri($"ws://{GatewayScenario.AppHost}/ws"), client.Http, CancellationToken.None);
        var message = "hello through the gateway"u8.ToArray();
        await socket.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[100];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);

        Assert.Equal(message, buffer.AsSpan(0, received.Count).ToArray());
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task WebSockets_over_http2_work_through_l7()
    {
        using var client = new GatewayClient(Scenario.Gateway.Https, version: HttpVersion.Version20);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.CollectHttpResponseDetails = true;

        await socket.ConnectAsync(new Uri($"wss://{GatewayScenario.AppHost}/ws"), client.Http, CancellationToken.None);
        var message = "hello over http/2"u8.ToArray();
        await socket.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[100];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);

        // 200, not 101: the handshake was an extended CONNECT (RFC 8441), not an HTTP/1.1 Upgrade.
        Assert.Equal(HttpStatusCode.OK, socket.HttpStatusCode);
        Assert.Equal(message, buffer.AsSpan(0, received.Count).ToArray());
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    private string SelfSignedThumbprint()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Scenario.Gateway.Directory, "certs", SelfSignedCertificate.CertificateFileName)));
        return certificate.Thumbprint;
    }

    private static void AssertShapeWasReal(GatewayClient client, HelloShape shape)
    {
        var hello = client.LastStream!.ClientHello!;
        Assert.Equal(0x16, hello[0]);
        if (shape == HelloShape.LargerThan4KiB)
        {
            Assert.True(hello.Length > 4096, $"the hello was only {hello.Length} bytes");
        }
    }
}
