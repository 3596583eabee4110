using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Limits;
using Gateway.ProxyProtocol;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.ProxyProtocol;

/// <summary>
/// PROXY protocol through a real gateway: accepted from the trusted load balancer (127.0.0.2 here) and nobody
/// else, and sent to passthrough destinations that parse it.
/// </summary>
public sealed class ProxyProtocolTests : IAsyncLifetime
{
    private static readonly IPAddress Balancer = IPAddress.Parse("127.0.0.2");
    private static readonly IPEndPoint OriginalClient = new(IPAddress.Parse("127.0.0.77"), 40000);

    /// <summary>The 12 bytes a version 2 header starts with; a version 1 header starts with "PROXY ".</summary>
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private TestBackend _app = null!;
    private RawTcpBackend _v1Backend = null!;
    private RawTcpBackend _v2Backend = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _app = await TestBackend.StartAsync("app");
        _v1Backend = new RawTcpBackend(ReportSenderAsync);
        _v2Backend = new RawTcpBackend(ReportSenderAsync);
        var gateway = JsonNode.Parse($$"""
            {
              "ProxyProtocol": { "TrustedNetworks": [ "127.0.0.2/32" ] },
              "Passthrough": {
                "Routes": {
                  "v1": { "Hosts": [ "v1.test" ], "ClusterId": "v1" },
                  "v2": { "Hosts": [ "v2.test" ], "ClusterId": "v2" }
                },
                "Clusters": {
                  "v1": { "Destinations": { "d": { "Address": "{{_v1Backend.Address}}" } }, "ProxyProtocol": "V1" },
                  "v2": { "Destinations": { "d": { "Address": "{{_v2Backend.Address}}" } }, "ProxyProtocol": "V2" }
                }
              }
            }
            """)!.AsObject();
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ "app.test" ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "a": { "Address": "http://{{_app.Address}}/" } } } }
            }
            """)!.AsObject();
        _gateway = await TestGateway.StartAsync(gateway, proxy);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _v1Backend.DisposeAsync();
        await _v2Backend.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_trusted_balancers_header_makes_the_original_client_the_client(int version)
    {
        var header = version == 1 ? ProxyHeaderWriter.V1(OriginalClient, _gateway.Https) : ProxyHeaderWriter.V2(OriginalClient, _gateway.Https);
        using var client = HttpThrough(_gateway.Https, "app.test", Balancer, header);

        var seen = await client.GetStringAsync("/headers");

        Assert.Contains("X-Forwarded-For: 127.0.0.77", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_from_an_untrusted_peer_is_not_believed_and_the_connection_fails()
    {
        using var outcomes = new ConnectionOutcomeProbe(_gateway);
        using var client = HttpThrough(_gateway.Https, "app.test", IPAddress.Loopback, ProxyHeaderWriter.V1(OriginalClient, _gateway.Https));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/headers"));
        await Poll.UntilAsync(() => outcomes["not-tls"] == 1, "the connection is counted as not-tls");
    }

    [Fact]
    public async Task The_trusted_balancer_must_send_a_header()
    {
        using var outcomes = new ConnectionOutcomeProbe(_gateway);
        using var client = HttpThrough(_gateway.Https, "app.test", Balancer, header: null);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/headers"));
        await Poll.UntilAsync(() => outcomes["bad-proxy-header"] == 1, "the connection is counted as bad-proxy-header");
    }

    [Theory]
    [InlineData("PROXY TCP4 127.1 127.0.0.1 40000 443\r\n")]
    [InlineData("PROXY TCP4 0x7f.0.0.77 127.0.0.1 40000 443\r\n")]
    [InlineData("PROXY TCP4 0177.0.0.77 127.0.0.1 40000 443\r\n")]
    [InlineData("PROXY TCP6 127.0.0.77 ::1 40000 443\r\n")]
    [InlineData("PROXY TCP6 ::1%1 ::1 40000 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 040000 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 40000 443 \r\n")]
    public async Task A_trusted_balancers_v1_header_outside_the_spec_is_refused(string header)
    {
        using var outcomes = new ConnectionOutcomeProbe(_gateway);
        using var client = HttpThrough(_gateway.Https, "app.test", Balancer, Encoding.ASCII.GetBytes(header));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("/headers"));
        await Poll.UntilAsync(() => outcomes["bad-proxy-header"] == 1, "the connection is counted as bad-proxy-header");
    }

    [Fact]
    public async Task A_slow_header_leaves_the_hello_only_what_is_left_of_the_timeout_counted_from_accept()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(JsonNode.Parse("""
            { "ProxyProtocol": { "TrustedNetworks": [ "127.0.0.2/32" ] }, "ClientHello": { "Timeout": "00:00:10" } }
            """)!.AsObject(), null));
        await using var gateway = await TestGateway.StartInAsync(directory, clock);
        using var outcomes = new ConnectionOutcomeProbe(gateway);
        var limiter = gateway.Services.GetRequiredService<ConnectionLimiter>();
        using var balancer = new Socket(SocketType.Stream, ProtocolType.Tcp);
        balancer.Bind(new IPEndPoint(Balancer, 0));
        await balancer.ConnectAsync(gateway.Https);
        await Poll.UntilAsync(() => limiter.Open == 1, "the connection is accepted");

        // 6 s of the 10 go by before the header; it is read before the clock moves on, so what times out is the hello.
        clock.Advance(TimeSpan.FromSeconds(6));
        await balancer.SendAsync(ProxyHeaderWriter.V2(OriginalClient, gateway.Https));
        var local = (IPEndPoint)balancer.LocalEndPoint!;
        await Poll.UntilAsync(() => TcpStates.Unread(gateway.Https, local) == 0, "the gateway has read the header");
        clock.Advance(TimeSpan.FromSeconds(6));

        await Poll.UntilAsync(() => outcomes["hello-timeout"] == 1, "the connection is closed 10 s after its accept, as hello-timeout",
            detail: () => $"bad-proxy-header={outcomes["bad-proxy-header"]}, total={outcomes.Total}");
        Assert.Equal(0, await balancer.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(1, outcomes.Total);
    }

    [Fact]
    public async Task The_http_listener_accepts_the_header_too()
    {
        using var client = HttpThrough(_gateway.Http, "app.test", Balancer, ProxyHeaderWriter.V2(OriginalClient, _gateway.Http), tls: false);

        using var response = await client.GetAsync("/x");

        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
    }

    [Theory]
    [InlineData("v1.test", "v1")]
    [InlineData("v2.test", "v2")]
    public async Task Passthrough_destinations_are_told_the_original_client(string host, string version)
    {
        Assert.Equal($"{version} source=127.0.0.77:40000", await TunnelAsync(host, Balancer, ProxyHeaderWriter.V1(OriginalClient, _gateway.Https)));

        var direct = await TunnelAsync(host, IPAddress.Loopback, header: null);
        Assert.StartsWith($"{version} source=127.0.0.1:", direct, StringComparison.Ordinal);
    }

    /// <summary>Sends (header +) a ClientHello for <paramref name="host"/> and returns what the destination says it received.</summary>
    private async Task<string> TunnelAsync(string host, IPAddress from, byte[]? header)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(_gateway.Https);
        await socket.SendAsync((byte[])[.. header ?? [], .. new ClientHelloBuilder { ServerName = host }.ToRecords()], SocketFlags.None);
        var buffer = new byte[256];
        var length = 0;
        while (await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None) is var read and > 0)
        {
            length += read;
        }

        return Encoding.ASCII.GetString(buffer, 0, length).Trim();
    }

    /// <summary>
    /// A destination that expects a PROXY header, as HAProxy's accept-proxy does, and reports its version ("v1" for
    /// the text form, "v2" for the binary one) and whom it names.
    /// </summary>
    private static async Task ReportSenderAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[512];
        while (true)
        {
            var header = ProxyHeaderParser.Parse(received.ToArray());
            if (header.Status != ProxyHeaderStatus.NeedMoreData)
            {
                var report = header.Status == ProxyHeaderStatus.Complete ? $"{Version(received)} source={header.Source}\n" : $"invalid {header.Error}\n";
                await socket.SendAsync(Encoding.ASCII.GetBytes(report), SocketFlags.None);
                socket.Shutdown(SocketShutdown.Both);
                return;
            }

            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                return;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }
    }

    private static string Version(List<byte> header) =>
        header.Count >= V2Signature.Length && header.Take(V2Signature.Length).SequenceEqual(V2Signature) ? "v2"
        : header.Count >= 6 && Encoding.ASCII.GetString([.. header.Take(6)]) == "PROXY " ? "v1"
        : "unknown";

    /// <summary>An HTTP client whose connections come from <paramref name="from"/> and start with <paramref name="header"/>.</summary>
    private static HttpClient HttpThrough(IPEndPoint gateway, string host, IPAddress from, byte[]? header, bool tls = true) =>
        HostClient.Create(gateway, host, from: from, tls: tls, preamble: header);
}
