using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Admin;

public sealed class AdminAccessTests
{
    private static readonly string Hash = PasswordHash.Create("correct horse");

    [Fact]
    public async Task With_users_no_credentials_is_401_wrong_ones_401_after_a_delay_and_right_ones_200()
    {
        await using var gateway = await TestGateway.StartAsync(WithUsers());
        using var client = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };

        using (var anonymous = await client.GetAsync("stats.json"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }

        var started = DateTime.UtcNow;
        using (var wrong = await Send(client, "stats.json", "admin", "tr0ub4dor"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "a wrong password was answered without delay");
        using var right = await Send(client, "stats.json", "admin", "correct horse");
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        using var metrics = await Send(client, "metrics", "admin", "correct horse");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        using var health = await client.GetAsync("healthz"); // probes need no password
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task A_client_outside_the_allowed_networks_gets_403()
    {
        var section = WithUsers();
        section["Admin"]!["AllowedNetworks"] = new JsonArray("127.0.0.2/32");
        await using var gateway = await TestGateway.StartAsync(section);

        Assert.Equal(403, await StatusFromAsync(gateway.Admin, "127.0.0.1", "healthz"));
        Assert.Equal(401, await StatusFromAsync(gateway.Admin, "127.0.0.2", "stats"));
        Assert.Equal(200, await StatusFromAsync(gateway.Admin, "127.0.0.2", "healthz"));
    }

    [Fact]
    public async Task Mutations_need_POST_and_show_on_the_stats()
    {
        await using var backends = new NamedBackends("a", "b");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway());
        using var client = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };

        using (var get = await client.GetAsync("api/clusters/pool/destinations/a/state?value=Drain"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        }

        using (var post = await client.PostAsync("api/clusters/pool/destinations/a/state?value=Drain", null))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("b", await NamedBackends.WhichBackendAsync(gateway.Https));
        }

        var stats = JsonNode.Parse(await client.GetStringAsync("stats.json"))!;
        var a = stats["clusters"]![0]!["destinations"]!.AsArray().Single(d => (string)d!["id"]! == "a")!;
        Assert.Equal("Drain", (string)a["state"]!);
        Assert.True((bool)a["stateSetAtRuntime"]!);

        using var unknown = await client.PostAsync("api/clusters/pool/destinations/zz/state?value=Drain", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var bad = await client.PostAsync("api/clusters/pool/destinations/a/state?value=Sleep", null);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task A_web_page_can_neither_post_across_sites_nor_rebind_a_dns_name_to_the_admin_listener()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway());
        using var client = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };
        const string Drain = "api/clusters/pool/destinations/a/state?value=Drain";

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, Drain) { Headers = { { "Sec-Fetch-Site", "cross-site" } } };
        using var foreignOrigin = new HttpRequestMessage(HttpMethod.Post, Drain) { Headers = { { "Origin", "https://evil.test" } } };
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "stats.json") { Headers = { Host = "rebind.evil.test" } };
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(crossSite)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(foreignOrigin)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(rebound)).StatusCode);
        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));

        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, Drain) { Headers = { { "Origin", $"http://{gateway.Admin}" } } };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(sameOrigin)).StatusCode);
    }

    [Fact]
    public async Task A_state_change_is_taken_only_from_the_listeners_own_http_origin()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway());
        using var client = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/") };
        var admin = gateway.Admin.ToString();
        var port = gateway.Admin.Port;

        // (header, value, Host header or null for the client's own, expected status)
        (string Header, string Value, string? Host, HttpStatusCode Status)[] cases =
        [
            ("Origin", $"http://{admin}", null, HttpStatusCode.OK),
            ("Origin", $"http://127.0.0.1:{port}", null, HttpStatusCode.OK),
            ("Origin", $"http://LOCALHOST:{port}", $"localhost:{port}", HttpStatusCode.OK),
            ("Origin", "http://localhost:18405", "localhost:18405", HttpStatusCode.OK), // an SSH forward in front of the listener
            ("Referer", $"http://{admin}/stats", null, HttpStatusCode.OK),
            ("Referer", $"http://{admin}", null, HttpStatusCode.OK),
            ("Origin", "null", null, HttpStatusCode.Forbidden),
            ("Origin", "", null, HttpStatusCode.Forbidden),
            ("Origin", $"https://{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", $"ws://{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", "file://", null, HttpStatusCode.Forbidden),
            ("Origin", $"file://{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", "chrome-extension://abcdefghijklmnopabcdefghijklmnop", null, HttpStatusCode.Forbidden),
            ("Origin", "moz-extension://0b4e3a33-2f6f-4c55-a4a6-3a5bd0c0a3c1", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://127.0.0.1:{port + 1}", null, HttpStatusCode.Forbidden),
            ("Origin", "http://127.0.0.1", null, HttpStatusCode.Forbidden),
            ("Origin", "http://127.0.0.1:80", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://127.0.0.1:0{port}", null, HttpStatusCode.Forbidden),
            ("Origin", "http://127.0.0.1:", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://127.0.0.1:{port}0", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://evil@{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}@evil.test", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://127.0.0.1.:{port}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://127.1:{port}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://0x7f.0.0.1:{port}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://localhost:{port}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://[::1]:{port}", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}/", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}/stats", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}?x", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}#x", null, HttpStatusCode.Forbidden),
            ("Origin", $"http://{admin}, http://evil.test", null, HttpStatusCode.Forbidden),
            ("Origin", $"http:/{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", $"//{admin}", null, HttpStatusCode.Forbidden),
            ("Origin", admin, null, HttpStatusCode.Forbidden),
            ("Origin", $"http://evil.test:{port}", null, HttpStatusCode.Forbidden),
            ("Referer", $"https://{admin}/stats", null, HttpStatusCode.Forbidden),
            ("Referer", "http://evil.test/page", null, HttpStatusCode.Forbidden),
            ("Referer", $"http://user:pass@{admin}/stats", null, HttpStatusCode.Forbidden),
            ("Referer", $"http://127.0.0.1:{port + 1}/stats", null, HttpStatusCode.Forbidden),
            ("Referer", "about:blank", null, HttpStatusCode.Forbidden),
        ];

        var wrong = new List<string>();
        foreach (var (header, value, host, expected) in cases)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/clusters/pool/destinations/a/state?value=Config");
            Assert.True(request.Headers.TryAddWithoutValidation(header, value));
            if (host is not null)
            {
                request.Headers.Host = host;
            }

            using var response = await client.SendAsync(request);
            if (response.StatusCode != expected)
            {
                wrong.Add($"{header}: {value} (Host {host ?? admin}) -> {(int)response.StatusCode}, expected {(int)expected}");
            }
        }

        using (var twoOrigins = new HttpRequestMessage(HttpMethod.Post, "api/clusters/pool/destinations/a/state?value=Config"))
        {
            twoOrigins.Headers.TryAddWithoutValidation("Origin", [$"http://{admin}", "http://evil.test"]);
            using var response = await client.SendAsync(twoOrigins);
            if (response.StatusCode != HttpStatusCode.Forbidden)
            {
                wrong.Add($"two Origin headers -> {(int)response.StatusCode}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Admin_endpoints_are_not_on_the_public_listeners()
    {
        await using var gateway = await TestGateway.StartAsync();
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://{gateway.Http}/") };
        using var tls = new GatewayClient(gateway.Https);

        using var redirected = await plain.GetAsync("metrics");
        using var terminated = await tls.Http.GetAsync(tls.Url("gateway.test", "/metrics"));

        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, terminated.StatusCode);
    }

    [Theory]
    [InlineData("0.0.0.0:8404")]
    [InlineData("[::]:8404")]
    public void A_non_loopback_admin_listener_without_users_is_refused_with_a_clear_message(string listen)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Listeners:Admin"] = listen }).Build();
        ConfigUnderTest.Read(configuration, "/", out var errors);

        var error = Assert.Single(errors.All);
        Assert.Equal("Gateway:Listeners:Admin", error.Path);
        Assert.Contains("without a password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Password_hashes_verify_only_the_right_password()
    {
        Assert.True(PasswordHash.Verify("correct horse", Hash));
        Assert.False(PasswordHash.Verify("correct horse ", Hash));
        Assert.NotEqual(Hash, PasswordHash.Create("correct horse")); // salted
        Assert.False(PasswordHash.IsWellFormed("correct horse"));
        Assert.False(PasswordHash.IsWellFormed("pbkdf2-sha256$2000000000$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=="), "an iteration count that makes every login take minutes");
    }

    private static JsonObject WithUsers() => new()
    {
        ["Admin"] = new JsonObject { ["Users"] = new JsonObject { ["admin"] = new JsonObject { ["PasswordHash"] = Hash } } },
    };

    private static Task<HttpResponseMessage> Send(HttpClient client, string path, string user, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return client.SendAsync(request);
    }

    private static async Task<int> StatusFromAsync(IPEndPoint admin, string source, string path)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        await socket.ConnectAsync(admin);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /{path} HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n"));
        var line = await NamedBackends.ReadLineAsync(socket);
        return int.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
