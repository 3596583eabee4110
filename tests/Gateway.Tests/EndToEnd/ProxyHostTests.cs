using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>What Nginx Proxy Manager's proxy hosts do, through a real gateway: access lists, auth, HTTPS behaviour, redirects, default site, exploit rules, headers, error pages.</summary>
public sealed class ProxyHostTests : IAsyncLifetime
{
    private static readonly IPAddress Office = IPAddress.Parse("127.0.0.2");
    private static readonly string AlicePassword = "correct horse";

    private TestBackend _backend = null!;
    private TestBackend _tlsBackend = null!;
    private TestGateway _gateway = null!;
    private ClosedPort _down = null!;
    private string _errorPage = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("app");
        _tlsBackend = await TestBackend.StartAsync("raw", TestCertificates.Get("raw.test").Certificate);
        _down = new ClosedPort();
        var directory = Directory.CreateTempSubdirectory("gateway-hosts-").FullName;
        _errorPage = Path.Combine(directory, "502.html");
        await File.WriteAllTextAsync(_errorPage, "<h1>Sorry, the test app is resting</h1>");
        var alice = JsonValue.Create(PasswordHash.Create(AlicePassword));
        var gateway = JsonNode.Parse($$"""
            {
              "Passthrough": {
                "Routes": { "raw": { "Hosts": [ "raw.test" ], "ClusterId": "raw", "Access": [ "allow 127.0.0.2", "deny all" ] } },
                "Clusters": { "raw": { "Destinations": { "r1": { "Address": "{{_tlsBackend.Address}}" } } } }
              },
              "Proxy": {
                "Routes": {
                  "open": { "Hsts": { "MaxAge": "180d", "IncludeSubDomains": true }, "BlockExploits": true, "Http2": false },
                  "office": { "Access": [ "allow 127.0.0.2/32", "deny all" ] },
                  "auth": { "Users": { "alice": { "PasswordHash": {{alice!.ToJsonString()}} } } },
                  "either": { "Access": [ "allow 127.0.0.2" ], "Users": { "alice": { "PasswordHash": {{alice.ToJsonString()}} } }, "Satisfy": "Any" },
                  "plain": { "ForceHttps": false },
                  "blocklist": { "Access": [ "deny 127.0.0.3" ], "Users": { "alice": { "PasswordHash": {{alice.ToJsonString()}} } }, "Satisfy": "Any" }
                },
                "Redirects": {
                  "old": { "Hosts": [ "old.test" ], "To": "https://new.test/base", "Code": 308 },
                  "flat": { "Hosts": [ "flat.test" ], "To": "https://new.test/", "Code": 302, "KeepPath": false }
                },
                "ErrorPages": { "502": "502.html" }
              }
            }
            """)!.AsObject();
        var proxy = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["open"] = Route("open.test", "app", new JsonArray(
                    new JsonObject { ["RequestHeader"] = "X-Custom", ["Set"] = "from-gateway" },
                    new JsonObject { ["ResponseHeader"] = "X-Frame-Options", ["Set"] = "DENY" },
                    new JsonObject { ["ResponseHeaderRemove"] = "Server" })),
                ["office"] = Route("office.test", "app"),
                ["auth"] = Route("auth.test", "app"),
                ["either"] = Route("either.test", "app"),
                ["plain"] = Route("plain.test", "app"),
                ["plain-admin"] = new JsonObject
                {
                    ["ClusterId"] = "app",
                    ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("plain.test"), ["Path"] = "/admin/{**rest}" },
                },
                ["blocklist"] = Route("blocklist.test", "app"),
                ["down"] = Route("down.test", "down"),
            },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["a1"] = new JsonObject { ["Address"] = $"http://{_backend.Address}/" } } },
                ["down"] = new JsonObject { ["Destinations"] = new JsonObject { ["d1"] = new JsonObject { ["Address"] = $"http://{_down.Address}/" } } },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(gateway, proxy));
        _gateway = await TestGateway.StartInAsync(directory, null);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
        await _tlsBackend.DisposeAsync();
        _down.Dispose();
    }

    [Fact]
    public async Task An_access_list_lets_its_network_in_and_answers_403_to_others()
    {
        using var denied = DeniedProbe();
        using var inside = HostClient.Create(_gateway.Https, "office.test", from: Office);
        using var outside = HostClient.Create(_gateway.Https, "office.test");

        Assert.StartsWith("app ", await inside.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.Forbidden, (await outside.GetAsync("/")).StatusCode);
        Assert.Equal(1, denied[("route", "office"), ("reason", "network")]);
        Assert.Equal(1, denied.Total);
    }

    [Fact]
    public async Task A_passthrough_access_list_closes_denied_clients_before_dialling()
    {
        using var outcomes = new ConnectionOutcomeProbe(_gateway);

        Assert.StartsWith("raw ", await GetOverTlsAsync("raw.test", Office));
        await Assert.ThrowsAnyAsync<IOException>(() => GetOverTlsAsync("raw.test", IPAddress.Loopback));
        await Poll.UntilAsync(() => outcomes["denied"] == 1, "one connection is counted as denied");
        await Poll.UntilAsync(() => outcomes["tunnelled"] == 1, "the office's connection is counted as tunnelled");
    }

    [Fact]
    public async Task Basic_auth_answers_401_without_the_password_and_200_with_it_and_keeps_it_from_the_backend()
    {
        using var client = HostClient.Create(_gateway.Https, "auth.test");

        using var refused = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = Basic("alice", "wrong") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/headers") { Headers = { Authorization = Basic("alice", AlicePassword) } };
        using var response = await client.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("Authorization", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Basic {0}")]
    [InlineData("Basic\t{0}")]
    [InlineData("basic  {0}")]
    [InlineData("BASIC\t \t{0}")]
    public async Task The_gateways_password_never_reaches_the_backend_whatever_the_whitespace_after_the_scheme(string spelling)
    {
        using var client = HostClient.Create(_gateway.Https, "auth.test");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"alice:{AlicePassword}"));
        Assert.True(request.Headers.TryAddWithoutValidation("Authorization", string.Format(CultureInfo.InvariantCulture, spelling, token)));

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("Authorization", seen, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Satisfy_any_lets_the_network_or_the_password_in()
    {
        using var office = HostClient.Create(_gateway.Https, "either.test", from: Office);
        using var elsewhere = HostClient.Create(_gateway.Https, "either.test");

        Assert.StartsWith("app ", await office.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.GetAsync("/")).StatusCode);
        using var withPassword = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = Basic("alice", AlicePassword) } };
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.SendAsync(withPassword)).StatusCode);

        // A browser sends its cached password even where the network sufficed: it still stops at the gateway.
        using var cached = new HttpRequestMessage(HttpMethod.Get, "/headers") { Headers = { Authorization = Basic("alice", AlicePassword) } };
        using var response = await office.SendAsync(cached);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = await response.Content.ReadAsStringAsync();
        Assert.Contains("X-Forwarded-For: 127.0.0.2", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-Host: either.test", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("Authorization", seen, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Satisfy_any_with_a_blocklist_still_asks_everyone_else_for_the_password()
    {
        using var client = HostClient.Create(_gateway.Https, "blocklist.test");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/")).StatusCode);
        using var withPassword = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = Basic("alice", AlicePassword) } };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(withPassword)).StatusCode);
    }

    [Fact]
    public async Task Hsts_custom_headers_and_a_hidden_server_header_are_applied()
    {
        using var client = HostClient.Create(_gateway.Https, "open.test");

        using var response = await client.GetAsync("/headers");
        var seen = await response.Content.ReadAsStringAsync();

        Assert.Equal("max-age=15552000; includeSubDomains", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
        Assert.False(response.Headers.Contains("Server"));
        Assert.Contains("X-Custom: from-gateway", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-For: 127.0.0.1", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-Proto: https", seen, StringComparison.Ordinal);
        Assert.Contains("X-Forwarded-Host: open.test", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_supplied_address_and_url_override_headers_never_reach_the_backend_and_x_real_ip_is_the_client()
    {
        using var client = HostClient.Create(_gateway.Https, "open.test", from: IPAddress.Parse("127.0.0.5"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/headers");
        // The documented list (docs/configuration.md, ReverseProxy), written out here so that dropping a name from the
        // code fails this test; each carries a value of its own, so the one that got through is named.
        string[] documented =
        [
            "X-Real-IP", "x-real-ip", "X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Forwarded-Uri", "X-Forwarded-Path",
            "Forwarded", "X-Forwarded-Server", "X-Forwarded-Port", "X-Client-IP", "True-Client-IP", "X-Cluster-Client-IP",
            "CF-Connecting-IP", "Fastly-Client-IP", "X-Originating-IP", "X-Remote-IP", "X-Remote-Addr", "Client-IP",
            "X-ProxyUser-IP", "Forwarded-For", "X-Forwarded", "X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Forwarded-Protocol",
            "X-Url-Scheme", "X-Scheme", "Front-End-Https", "X-Original-Host", "X-Host", "X-Forwarded-For", "X-Forwarded-Host",
            "X-Forwarded-Proto",
        ];
        foreach (var name in documented)
        {
            request.Headers.TryAddWithoutValidation(name, "spoofed-" + name.ToLowerInvariant());
        }

        using var response = await client.SendAsync(request);
        var seen = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(seen.Split('\n'), line => line.Contains("spoofed-", StringComparison.Ordinal));
        Assert.Contains("X-Real-IP: 127.0.0.5", seen, StringComparison.OrdinalIgnoreCase);
        Assert.Single(seen.Split('\n'), line => line.StartsWith("X-Real-IP:", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Underscore_spellings_of_dropped_and_replaced_headers_never_reach_the_backend_over_http11_or_http2()
    {
        // CGI, PHP and WSGI read X_Forwarded_For as X-Forwarded-For (both become HTTP_X_FORWARDED_FOR) and merge them.
        string[] spoofed = ["X_Real_IP", "X_Forwarded_For", "X_Forwarded_Host", "X_Forwarded_Proto", "X_Original_URL", "X_Rewrite_URL", "x_real_ip", "X-Real_IP"];
        using var http2 = new GatewayClient(_gateway.Https, version: HttpVersion.Version20);
        using var http11 = HostClient.Create(_gateway.Https, "plain.test");
        foreach (var (client, url, version) in new[] { (http2.Http, http2.Url("plain.test", "/headers"), HttpVersion.Version20), (http11, "/headers", HttpVersion.Version11) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            foreach (var name in spoofed)
            {
                Assert.True(request.Headers.TryAddWithoutValidation(name, "spoofed.test"));
            }

            Assert.True(request.Headers.TryAddWithoutValidation("My_Header", "kept"));

            using var response = await client.SendAsync(request);
            var seen = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
            Assert.DoesNotContain("spoofed.test", seen, StringComparison.Ordinal);
            Assert.DoesNotContain(seen.Split('\n'), line => line.Contains('_', StringComparison.Ordinal) && !line.StartsWith("My_Header:", StringComparison.OrdinalIgnoreCase));
            Assert.Contains("My_Header: kept", seen, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("X-Forwarded-For: 127.0.0.1", seen, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("X-Forwarded-Host: plain.test", seen, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_clients_trace_context_passes_through_and_none_is_invented()
    {
        using var client = HostClient.Create(_gateway.Https, "open.test");
        const string parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        Assert.DoesNotContain("traceparent", await client.GetStringAsync("/headers"), StringComparison.OrdinalIgnoreCase);
        using var traced = new HttpRequestMessage(HttpMethod.Get, "/headers") { Headers = { { "traceparent", parent } } };
        using var response = await client.SendAsync(traced);
        Assert.Contains($"traceparent: {parent}", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Naming_the_hosting_log_category_brings_its_span_and_traceparent_back()
    {
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ "app.test" ] } } },
              "Clusters": { "app": { "Destinations": { "a1": { "Address": "http://{{_backend.Address}}/" } } } }
            }
            """)!.AsObject();
        await using var gateway = await TestGateway.StartAsync(null, proxy, "--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information");
        using var client = HostClient.Create(gateway.Https, "app.test");

        Assert.Contains("traceparent: 00-", await client.GetStringAsync("/headers"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Http2_can_be_turned_off_per_host()
    {
        Assert.Equal(SslApplicationProtocol.Http11, await NegotiateAsync("open.test"));
        Assert.Equal(SslApplicationProtocol.Http2, await NegotiateAsync("office.test"));
    }

    [Fact]
    public async Task The_http_listener_redirects_by_default_and_serves_plain_http_where_force_https_is_off()
    {
        using var forced = HostClient.Create(_gateway.Http, "office.test", tls: false);
        using var plain = HostClient.Create(_gateway.Http, "plain.test", tls: false);

        using var redirected = await forced.GetAsync("/x");
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirected.StatusCode);
        Assert.StartsWith("app ", await plain.GetStringAsync("/"));
        var headers = await plain.GetStringAsync("/headers");
        Assert.Contains("X-Forwarded-Proto: http", headers, StringComparison.Ordinal);

        // Another route of the same host keeps ForceHttps: decided per route, not per host.
        using var admin = await plain.GetAsync("/admin/settings");
        Assert.Equal(HttpStatusCode.PermanentRedirect, admin.StatusCode);
        Assert.EndsWith("/admin/settings", admin.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirection_hosts_answer_with_their_target_on_both_listeners()
    {
        using var old = HostClient.Create(_gateway.Https, "old.test");
        using var oldPlain = HostClient.Create(_gateway.Http, "old.test", tls: false);
        using var flat = HostClient.Create(_gateway.Https, "flat.test");

        using var kept = await old.GetAsync("/a/b?c=d");
        Assert.Equal(HttpStatusCode.PermanentRedirect, kept.StatusCode);
        Assert.Equal("https://new.test/base/a/b?c=d", kept.Headers.Location!.OriginalString);
        Assert.Equal("https://new.test/base/x", (await oldPlain.GetAsync("/x")).Headers.Location!.OriginalString);
        using var dropped = await flat.GetAsync("/a/b?c=d");
        Assert.Equal(HttpStatusCode.Found, dropped.StatusCode);
        Assert.Equal("https://new.test", dropped.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task An_unknown_host_gets_the_default_404_page()
    {
        using var client = HostClient.Create(_gateway.Https, "nobody.test");

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("404 Not Found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/.env")]
    [InlineData("/.git/config")]
    [InlineData("/cgi-bin/luci")]
    [InlineData("/phpmyadmin/index.php")]
    [InlineData("/?id=1%20UNION%20SELECT%20password%20FROM%20users")]
    [InlineData("/?q=%253Cscript%253Ealert(1)%253C/script%253E")]
    [InlineData("/?file=../../etc/passwd")]
    [InlineData("/?x=${jndi:ldap://example/a}")]
    public async Task Exploit_probes_are_blocked(string target)
    {
        using var client = HostClient.Create(_gateway.Https, "open.test");

        using var response = await client.GetAsync(target);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Normal_requests_and_scanner_agents_are_told_apart()
    {
        using var denied = DeniedProbe();
        using var client = HostClient.Create(_gateway.Https, "open.test");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/?q=select+a+union+of+friends&page=2&redirect=/home")).StatusCode);
        Assert.Equal(0, denied.Total);

        using var scanner = new HttpRequestMessage(HttpMethod.Get, "/");
        scanner.Headers.TryAddWithoutValidation("User-Agent", "sqlmap/1.7 (https://sqlmap.org)");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(scanner)).StatusCode);
        Assert.Equal(1, denied[("route", "open"), ("reason", "exploit")]);
        Assert.Equal(1, denied.Total);
    }

    [Fact]
    public async Task A_cluster_that_is_down_gets_the_error_page_instead_of_an_empty_502()
    {
        using var client = HostClient.Create(_gateway.Https, "down.test");

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await File.ReadAllTextAsync(_errorPage), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_backends_own_empty_503_gets_the_page_without_the_backends_headers()
    {
        using var client = HostClient.Create(_gateway.Https, "office.test", from: Office);

        using var response = await client.GetAsync("/status/503");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("503 Service Unavailable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Unknown_sni_is_rejected_in_the_handshake_when_configured()
    {
        var gateway = new JsonObject { ["Tls"] = new JsonObject { ["UnknownSni"] = "Reject" } };
        var proxy = new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = Route("app.test", "app") },
            ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["a1"] = new JsonObject { ["Address"] = $"http://{_backend.Address}/" } } } },
        };
        await using var strict = await TestGateway.StartAsync(gateway, proxy);

        using var known = HostClient.Create(strict.Https, "app.test");
        Assert.StartsWith("app ", await known.GetStringAsync("/"));
        await Assert.ThrowsAnyAsync<IOException>(() => TlsHandshake.HandshakeAsync(strict.Https, "scanner.test"));
        await Assert.ThrowsAnyAsync<IOException>(() => TlsHandshake.HandshakeAsync(strict.Https, ""));
    }

    private static JsonObject Route(string host, string cluster, JsonArray? transforms = null)
    {
        var route = new JsonObject
        {
            ["ClusterId"] = cluster,
            ["Match"] = new JsonObject { ["Hosts"] = new JsonArray(host), ["Path"] = "{**catch-all}" },
        };
        if (transforms is not null)
        {
            route["Transforms"] = transforms;
        }

        return route;
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    /// <summary>Counts this gateway's <c>gateway.proxy.denied</c> only: the /metrics page sums every gateway in the process.</summary>
    private CounterProbe DeniedProbe() => new(_gateway, "gateway.proxy.denied");

    private async Task<string> GetOverTlsAsync(string host, IPAddress from)
    {
        using var client = HostClient.Create(_gateway.Https, host, from: from);
        try
        {
            return await client.GetStringAsync("/");
        }
        catch (HttpRequestException e) when (e.InnerException is IOException io)
        {
            throw io;
        }
    }

    private Task<SslApplicationProtocol> NegotiateAsync(string host) => TlsHandshake.NegotiateAsync(_gateway.Https, host);

    [Theory]
    [InlineData("/ecp%2Fdefault.aspx")]
    [InlineData("/ecp%2fdefault.aspx")]
    [InlineData("/owa%2F..%2Fecp/")]
    public async Task An_encoded_slash_does_not_slip_past_a_path_rule(string target)
    {
        var gateway = new JsonObject
        {
            ["Proxy"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["app"] = new JsonObject
                    {
                        ["PathRules"] = new JsonArray(new JsonObject { ["Paths"] = new JsonArray("/ecp"), ["AllowedNetworks"] = new JsonArray("127.0.0.2/32") }),
                    },
                },
            },
        };
        var proxy = new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = Route("app.test", "app") },
            ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["a1"] = new JsonObject { ["Address"] = $"http://{_backend.Address}/" } } } },
        };
        await using var strict = await TestGateway.StartAsync(gateway, proxy);
        using var outside = HostClient.Create(strict.Https, "app.test");
        using var inside = HostClient.Create(strict.Https, "app.test", from: Office);

        Assert.Equal(HttpStatusCode.Forbidden, (await outside.GetAsync(target)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await inside.GetAsync(target)).StatusCode); // forwarded: the backend has no such page
        Assert.StartsWith("app ", await outside.GetStringAsync("/"));
    }
}
