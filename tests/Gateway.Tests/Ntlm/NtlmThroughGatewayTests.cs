using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text.Json.Nodes;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Ntlm;

/// <summary>
/// A real NTLM server (IIS-style: the identity belongs to the TCP connection) behind the gateway, with the real
/// .NET NTLM client: through passthrough, through a connection-pinned L7 route, and through an ordinary pooled one.
/// </summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class NtlmThroughGatewayTests : IAsyncLifetime
{
    private const string PassthroughHost = "exchange.test";
    private const string PinnedHost = "owa.test";
    private const string PooledHost = "pooled.test";

    private readonly CapturedLogs _logs = new();
    private NtlmBackend _tlsBackend = null!;
    private NtlmBackend _backend = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _tlsBackend = await NtlmBackend.StartAsync(TestCertificates.Get(PassthroughHost).Certificate);
        _backend = await NtlmBackend.StartAsync();
        var gateway = JsonNode.Parse($$"""
            {
              "Passthrough": {
                "Routes": { "exchange": { "Hosts": [ "{{PassthroughHost}}" ], "ClusterId": "exchange" } },
                "Clusters": { "exchange": { "Destinations": { "ex1": { "Address": "{{_tlsBackend.Address}}" } } } }
              },
              "Proxy": {
                "Clusters": { "exchange-l7": { "ConnectionPinned": true } },
                "Routes": { "owa": { "PathRules": [ { "Paths": [ "/ecp", "/PowerShell" ], "AllowedNetworks": [ "127.0.0.2/32" ] } ] } }
              }
            }
            """)!.AsObject();
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": {
                "owa": { "ClusterId": "exchange-l7", "Match": { "Hosts": [ "{{PinnedHost}}" ], "Path": "{**catch-all}" } },
                "pooled": { "ClusterId": "pooled", "Match": { "Hosts": [ "{{PooledHost}}" ], "Path": "{**catch-all}" } },
                "rpc": { "ClusterId": "exchange-l7", "Order": -1, "Match": { "Path": "/rpc/{**rest}" } }
              },
              "Clusters": {
                "exchange-l7": { "Destinations": { "d1": { "Address": "http://{{_backend.Address}}/" } } },
                "pooled": { "Destinations": { "d1": { "Address": "http://{{_backend.Address}}/" } } }
              }
            }
            """)!.AsObject();
        var directory = Directory.CreateTempSubdirectory("gateway-ntlm-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(gateway, proxy));
        _gateway = await TestGateway.StartInAsync(directory, null, _logs);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _tlsBackend.DisposeAsync();
    }

    [Fact]
    public async Task The_handshake_succeeds_through_a_passthrough_route()
    {
        var user = _backend.Users[0];
        using var client = Client(PassthroughHost, user.Credential);

        Assert.Equal($"user={user.IdentityName}", await client.GetStringAsync("/whoami"));
        Assert.Equal($"user={user.IdentityName}", await client.GetStringAsync("/anonymous"));
        Assert.Equal(1, _tlsBackend.CompletedHandshakes);
    }

    [Fact]
    public async Task Through_a_pinned_route_every_client_keeps_its_own_identity_and_the_anonymous_one_none()
    {
        const int RequestsPerClient = 10;
        using var stop = new CancellationTokenSource();
        var anonymousAnswers = new List<string>();
        var anonymous = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // A new connection every few requests: pooled backends would hand it an authenticated one.
                using var client = Client(PinnedHost);
                for (var i = 0; i < 3; i++)
                {
                    anonymousAnswers.Add(await client.GetStringAsync("/anonymous"));
                }
            }
        });

        var users = _backend.Users.Take(20).ToList();
        var connections = new int[users.Count];
        await Task.WhenAll(users.Select(async (user, index) =>
        {
            using var client = Client(PinnedHost, user.Credential, onConnect: () => Interlocked.Increment(ref connections[index]));
            for (var i = 0; i < RequestsPerClient; i++)
            {
                Assert.Equal($"user={user.IdentityName}", await client.GetStringAsync(i % 2 == 0 ? "/whoami" : "/anonymous"));
            }
        }));
        await stop.CancelAsync();
        await anonymous;

        // One handshake per client: each client connection kept one backend connection for all its requests.
        Assert.All(connections, count => Assert.Equal(1, count));
        Assert.Equal(users.Count, _backend.CompletedHandshakes);
        Assert.NotEmpty(anonymousAnswers);
        Assert.All(anonymousAnswers, answer => Assert.Equal("anonymous", answer));
    }

    [Fact]
    public async Task A_pinned_host_negotiates_http_1_1_only_and_an_http_2_request_is_told_to_use_http_1_1()
    {
        Assert.Equal(SslApplicationProtocol.Http11, await NegotiateAsync(PinnedHost));
        Assert.Equal(SslApplicationProtocol.Http2, await NegotiateAsync(PooledHost));

        // A pinned route matched by path alone cannot steer ALPN, so its HTTP/2 requests are refused per request.
        using var http2 = new GatewayClient(_gateway.Https, version: HttpVersion.Version20);
        Assert.Equal("anonymous", await http2.Http.GetStringAsync(http2.Url(PooledHost, "/anonymous")));
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http2.Http.GetStringAsync(http2.Url(PooledHost, "/rpc/anonymous")));
        var protocolError = Assert.IsType<HttpProtocolException>(error.InnerException);
        Assert.Equal(0xd, protocolError.ErrorCode);
    }

    [Fact]
    public async Task An_ordinary_pooled_route_refuses_ntlm_both_ways_and_says_why()
    {
        var user = _backend.Users[0];
        using var client = Client(PooledHost, user.Credential);

        // The backend's challenge does not reach the client...
        using var challenged = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.BadGateway, challenged.StatusCode);
        Assert.Empty(challenged.Headers.WwwAuthenticate);
        Assert.Contains("\"ConnectionPinned\": true", await challenged.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // ...and credentials sent unasked do not reach the backend.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/anonymous");
        request.Headers.Authorization = new AuthenticationHeaderValue("Negotiate", "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAF1YAAAADw==");
        using var sender = Client(PooledHost);
        using var unasked = await sender.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadGateway, unasked.StatusCode);

        using (var anonymous = Client(PooledHost))
        {
            Assert.Equal("anonymous", await anonymous.GetStringAsync("/anonymous"));
        }

        Assert.Equal(0, _backend.CompletedHandshakes);
        var warnings = _logs.Entries.Where(e => e.Event.Name == "NtlmRefused").ToList();
        var warning = Assert.Single(warnings);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("pooled", warning.Message, StringComparison.Ordinal);
        using var admin = new HttpClient();
        var samples = MetricsTests.Parse(await admin.GetStringAsync(new Uri($"http://{_gateway.Admin}/metrics")));
        Assert.Equal(1, MetricsTests.Value(samples, "gateway_proxy_ntlm_refused_total", ("route", "pooled"), ("direction", "response")));
        Assert.Equal(1, MetricsTests.Value(samples, "gateway_proxy_ntlm_refused_total", ("route", "pooled"), ("direction", "request")));
    }

    [Fact]
    public async Task Restricted_paths_pass_from_the_allowed_network_and_get_403_from_elsewhere()
    {
        using var inside = Client(PinnedHost, from: IPAddress.Parse("127.0.0.2"));
        using var outside = Client(PinnedHost);

        // The backend has no /ecp: its 404 shows the request went through.
        Assert.Equal(HttpStatusCode.NotFound, (await inside.GetAsync("/ecp/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await inside.GetAsync("/PowerShell")).StatusCode);
        foreach (var path in new[] { "/ecp", "/ECP/default.aspx", "//ecp/", "/powershell?x=1" })
        {
            Assert.True((await outside.GetAsync(new Uri("http://127.0.0.1" + path))).StatusCode == HttpStatusCode.Forbidden, path);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await outside.GetAsync("/ecpx")).StatusCode);
        Assert.Equal("anonymous", await outside.GetStringAsync("/anonymous"));
    }

    private Task<SslApplicationProtocol> NegotiateAsync(string host) => TlsHandshake.NegotiateAsync(_gateway.Https, host);

    private HttpClient Client(string host, NetworkCredential? credential = null, IPAddress? from = null, Action? onConnect = null) =>
        HostClient.Create(_gateway.Https, host, credential, from, onConnect);
}
