using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

public sealed class HttpRedirectTests
{
    [Theory]
    [InlineData("GET", "/", "app.test", "https://app.test/")]
    [InlineData("GET", "/a%20b/../c?q=%2F&x=1#", "app.test", "https://app.test/a%20b/../c?q=%2F&x=1#")]
    [InlineData("POST", "/form?id=7", "App.Test:8080", "https://App.Test/form?id=7")]
    [InlineData("GET", "/x", "[::1]:8080", "https://[::1]/x")]
    [InlineData("HEAD", "/only-head", "app.test", "https://app.test/only-head")]
    public async Task Every_request_on_port_80_gets_an_exact_308_to_https(string method, string target, string host, string location)
    {
        await using var gateway = await StartAsync(httpsPublicPort: 443);

        var (status, headers) = await SendRawAsync(gateway, $"{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(308, status);
        Assert.Equal(location, headers["location"]);
    }

    [Fact]
    public async Task The_public_https_port_is_kept_when_it_is_not_443()
    {
        await using var gateway = await StartAsync(httpsPublicPort: 8443);

        var (status, headers) = await SendRawAsync(gateway, "GET /p?q HTTP/1.1\r\nHost: app.test\r\n\r\n");

        Assert.Equal(308, status);
        Assert.Equal("https://app.test:8443/p?q", headers["location"]);
    }

    [Fact]
    public async Task Without_a_configured_public_port_the_https_listeners_own_port_is_used()
    {
        await using var gateway = await TestGateway.StartAsync();

        var (_, headers) = await SendRawAsync(gateway, "GET /p HTTP/1.1\r\nHost: app.test\r\n\r\n");

        Assert.Equal($"https://app.test:{gateway.Https.Port}/p", headers["location"]);
    }

    [Fact]
    public async Task A_connection_on_the_http_listener_is_counted_as_terminated_so_the_outcomes_add_up_to_the_connections()
    {
        await using var gateway = await StartAsync(httpsPublicPort: 443);
        using var outcomes = new ConnectionOutcomeProbe(gateway);

        var (status, _) = await SendRawAsync(gateway, "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n");

        Assert.Equal(308, status);
        Assert.Equal(1, outcomes["terminated"]);
        Assert.Equal(1, outcomes.Total);
    }

    [Fact]
    public async Task A_request_without_host_is_refused()
    {
        await using var gateway = await StartAsync(httpsPublicPort: 443);

        var (status, headers) = await SendRawAsync(gateway, "GET / HTTP/1.0\r\n\r\n");

        Assert.Equal(400, status);
        Assert.False(headers.ContainsKey("location"));
    }

    private static Task<TestGateway> StartAsync(int httpsPublicPort) => TestGateway.StartAsync(new JsonObject
    {
        ["Listeners"] = new JsonObject { ["Https"] = "127.0.0.1:0", ["Http"] = "127.0.0.1:0", ["Admin"] = "127.0.0.1:0", ["HttpsPublicPort"] = httpsPublicPort },
    });

    private static async Task<(int Status, Dictionary<string, string> Headers)> SendRawAsync(TestGateway gateway, string request)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(gateway.Http);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
            Assert.True(count > 0, "connection closed before the response head: " + response);
            response.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }

        var lines = response.ToString().Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).TakeWhile(line => line.Length > 0)
            .Select(line => line.Split(": ", 2))
            .ToDictionary(parts => parts[0].ToLowerInvariant(), parts => parts[1]);
        return (status, headers);
    }
}
