using System.Net;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Admin;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Tests.Configuration;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Admin;

/// <summary>
/// The stats page as a real browser (headless Chromium) renders it, after real traffic: L4 tunnels (one held open, one to
/// a backend that refuses), L7 requests (answered, 503s, a backend down), active health checks, and ids from the config
/// that try to inject markup. The screenshot is kept in TestResults/ at the repository's root.
/// </summary>
public sealed partial class StatsPageBrowserTests
{
    private const string HostileRoute = "r<script>alert(1)</script>";
    private const string HostileCluster = "c\"><img src=x onerror=alert(2)>";
    private const string HostileDestination = "d&value=Disabled";

    [Fact]
    public async Task The_stats_page_shows_what_real_L4_and_L7_traffic_did_and_its_actions_work_from_the_same_origin_only()
    {
        HeadlessChromium.AssertInstalled();
        using var refusing = new ClosedPort();
        using var l7Down = new ClosedPort();
        using var hostileDown = new ClosedPort();
        await using var exchange = await TestBackend.StartAsync("exchange", TestCertificates.Get("exchange.test").Certificate);
        await using var app = await TestBackend.StartAsync("app");
        await using var gateway = await TestGateway.StartAsync(Gateway(exchange, refusing, hostileDown), Proxy(app, l7Down));
        var admin = gateway.Admin;
        var clusters = gateway.Services.GetRequiredService<PassthroughClusters>();
        var exchange01 = clusters.Get("exchange")!.Find("exchange01")!;
        var exchange02 = clusters.Get("exchange")!.Find("exchange02")!;
        await Poll.UntilAsync(() => exchange01.Health.Status == HealthStatus.Healthy && exchange02.Health.Status == HealthStatus.Unhealthy,
            "exchange01 is checked up and exchange02 (a refusing port) down");

        // L4: three tunnels that end, one held open, one to a route whose only destination refuses.
        for (var i = 0; i < 3; i++)
        {
            using var client = new GatewayClient(gateway.Https);
            Assert.StartsWith("exchange", await client.Http.GetStringAsync(client.Url("exchange.test")), StringComparison.Ordinal);
        }

        await using var held = await TlsHandshake.HandshakeAsync(gateway.Https, "mailbox7.dag.test", [SslApplicationProtocol.Http11]);
        await held.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: mailbox7.dag.test\r\n\r\n"));
        Assert.True(await held.ReadAsync(new byte[4096]) > 0);
        await Assert.ThrowsAnyAsync<Exception>(() => TlsHandshake.HandshakeAsync(gateway.Https, "broken.test"));

        // L7: 20 answered, 5 answered 503 by the backend, 2 the gateway cannot forward (502).
        using (var client = new GatewayClient(gateway.Https))
        {
            for (var i = 0; i < 20; i++)
            {
                using var ok = await client.Http.GetAsync(client.Url("app.test"));
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            for (var i = 0; i < 5; i++)
            {
                using var unavailable = await client.Http.GetAsync(client.Url("app.test", "/status/503"));
                Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
            }
        }

        for (var i = 0; i < 2; i++)
        {
            using var client = new GatewayClient(gateway.Https);
            using var down = await client.Http.GetAsync(client.Url("down.test"));
            Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        }

        // The charts show what the history holds: a sample now, as the next 10-second tick would take (one may have come in between).
        gateway.Services.GetRequiredService<TrafficHistory>().Sample();

        using var http = new HttpClient { BaseAddress = new Uri($"http://{admin}/") };
        using (var page = await http.GetAsync("stats"))
        {
            var csp = Assert.Single(page.Headers.GetValues("Content-Security-Policy"));
            Assert.StartsWith("default-src 'none'; style-src 'sha256-", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("form-action 'self'", csp, StringComparison.Ordinal);
            var raw = await page.Content.ReadAsStringAsync();
            Assert.DoesNotContain("<script", raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<img", raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(" style=", raw, StringComparison.Ordinal); // the CSP allows the one stylesheet, no style attribute
        }

        var url = $"http://{admin}/stats";
        var dom = await HeadlessChromium.RunAsync("--dump-dom", url);

        // The open tunnels, the route counters, the charts.
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", dom, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(Row("route", "exchange") + @"<td>exchange</td><td>exchange\.test, autodiscover\.test, \*\.dag\.test</td><td><a[^>]*>exchange</a></td><td class=""n"">1</td><td class=""n"">[1-4]</td><td class=""n"">4</td>", dom);
        Assert.Matches(Row("route", "broken") + @".*?<td class=""n"">0</td><td class=""n"">0</td><td class=""n bad"">1</td>", dom);
        Assert.Matches(@"<p class=""muted"" id=""tunnels-summary"">1 open; all shown", dom);
        Assert.Matches(@"<tr><td><a href=""stats\?client=127\.0\.0\.1%3A\d+#affinity"">127\.0\.0\.1:\d+</a></td><td>mailbox7\.dag\.test</td><td>exchange</td><td>exchange01</td><td class=""n"">\d+ s</td><td class=""n"">\d+ B</td><td class=""n"">[\d.]+ (B|KiB)</td></tr>", dom);
        Assert.Matches(@"data-chart=""exchange:tunnels:15m""[^>]*>.*?<tspan class=""t1"" data-series=""open"">open: last 1, max [12]</tspan>", dom);
        Assert.Matches(@"data-chart=""exchange:throughput:15m"".*?<text class=""xa""[^>]*>-15 min</text>.*?<text class=""xa""[^>]*>now</text>.*?<path class=""s2"" d=""M", dom);
        Assert.Matches(@"data-chart=""exchange:tunnels:24h"".*?<text class=""xa""[^>]*>-24 h</text>", dom);

        // Destinations: health, the last check, errors by kind.
        Assert.Matches(Row("destination", "exchange01") + @"<td>exchange01</td><td>127\.0\.0\.1:\d+</td><td class=""health up"">up</td><td class=""check""><span class=""passed"">passed</span> in [\d.]+ ms, \d+ s ago</td><td class=""state Active"">Active</td><td class=""n since"">\d+ s</td>", dom);
        Assert.Matches(Row("destination", "exchange02") + @".*?<td class=""health down"">down <span class=""muted"">\(\d+ failed in a row\)</span></td><td class=""check""><span class=""failed"">failed</span> in [\d.]+ ms, \d+ s ago<br><span class=""bad"">[^<]*refused", dom);
        Assert.Matches(@"data-cluster=""broken"".*?" + Row("destination", "nothing") + @".*?<td class=""n bad"">1</td>", dom);

        // L7: answers by class, errors by kind, percentiles, charts with values.
        Assert.Matches(Row("proxy-route", "app") + @"<td>app</td><td>app</td><td class=""n"">0</td><td class=""n"">1</td><td class=""n"">25</td><td class=""n"">0</td><td class=""n"">20</td><td class=""n"">0</td><td class=""n"">0</td><td class=""n bad"">5</td><td class=""n"">0</td><td class=""n bad"">5</td><td class=""n"">20\.0 %</td><td class=""forward-errors""><span class=""muted"">none</span></td><td class=""n"">[\d.]+ ms</td><td class=""n"">[\d.]+ ms</td><td class=""n"">[\d.]+ ms</td>", dom);
        Assert.Matches(Row("proxy-route", "down") + @".*?<td class=""forward-errors"">Request 2</td>", dom);
        Assert.Matches(@"data-chart=""app:requests:15m"".*?data-series=""requests/s"">requests/s: last [\d.]+/s, max [1-9][\d.]*/s</tspan>", dom);
        Assert.Matches(@"data-chart=""app:errors:15m"".*?data-series=""errors"">errors: last [\d.]+ %, max (2\d|[3-9]\d|100)(\.\d+)? %</tspan>", dom);
        Assert.Matches(@"data-chart=""app:latency:15m"".*?data-series=""p50"">p50: last [\d.]+ m?s, max.*?data-series=""p99"">p99: last [\d.]+ m?s", dom);
        Assert.Contains("data-chart=\"app:requests:24h\"", dom, StringComparison.Ordinal);

        // Ids from the config are text, never markup.
        Assert.Contains("data-route=\"r&lt;script&gt;alert(1)&lt;/script&gt;\"", dom, StringComparison.Ordinal);
        Assert.Contains("<td>r&lt;script&gt;alert(1)&lt;/script&gt;</td>", dom, StringComparison.Ordinal);
        Assert.Contains("c\"&gt;&lt;img src=x onerror=alert(2)&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("fallback (self-signed)", dom, StringComparison.Ordinal);

        // The affinity lookup: the client's destination, and a clear answer to what is not an address.
        var lookup = await HeadlessChromium.RunAsync("--dump-dom", url + "?client=127.0.0.1");
        Assert.Matches(@"<tr data-affinity-cluster=""exchange""><td>exchange</td><td>affinity table</td><td>exchange01 <span class=""muted"">\(last used \d+ s ago\)</span></td></tr>", lookup);
        Assert.Matches(@"<tr data-affinity-cluster=""hashed""><td>hashed</td><td>source IP hash</td><td>h[12]</td></tr>", lookup);
        var hostileLookup = await HeadlessChromium.RunAsync("--dump-dom", url + "?client=" + Uri.EscapeDataString("<script>alert(3)</script>"));
        Assert.Contains("<p class=\"error\" id=\"affinity-error\">&lt;script&gt;alert(3)&lt;/script&gt;: not an IP address", hostileLookup, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", hostileLookup, StringComparison.OrdinalIgnoreCase);

        // Actions: the page's own form, posted as a browser posts it from the page, drains and comes back to the page.
        var drainExchange01 = FormAction(dom, "exchange01", "Drain");
        Assert.Equal("stats/state?cluster=exchange&destination=exchange01&value=Drain&layer=passthrough", drainExchange01);
        using (var drained = await PostFormAsync(admin, drainExchange01, $"http://{admin}", "same-origin"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, drained.StatusCode);
            Assert.Equal("../stats", drained.Headers.Location!.OriginalString);
        }

        Assert.Equal(DestinationAdminState.Drain, exchange01.EffectiveState);

        // From another site, or a page without an origin (a file, a sandbox), it is refused and changes nothing.
        var enableExchange01 = FormAction(await http.GetStringAsync("stats"), "exchange01", "Active");
        foreach (var (origin, site) in new[] { ("http://evil.test", "cross-site"), ("null", "cross-site"), ($"http://{admin}", "same-site"), ($"http://localhost:{admin.Port}", "same-origin") })
        {
            using var refused = await PostFormAsync(admin, enableExchange01, origin, site);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal(DestinationAdminState.Drain, exchange01.EffectiveState);
        }

        // A real browser on another origin: a page that posts the form on load is refused.
        var attack = Path.Combine(Directory.CreateTempSubdirectory("gateway-attack-").FullName, "attack.html");
        await File.WriteAllTextAsync(attack, $"<!DOCTYPE html><form method=\"post\" action=\"http://{admin}/{enableExchange01}\"></form><script>document.forms[0].submit()</script>");
        var attacked = await HeadlessChromium.RunAsync("--virtual-time-budget=5000", "--dump-dom", new Uri(attack).AbsoluteUri);
        Assert.Contains("HTTP ERROR 403", attacked, StringComparison.Ordinal); // Chromium's page for the admin's refusal: it did post
        Assert.Equal(DestinationAdminState.Drain, exchange01.EffectiveState);

        // In the browser: a click on the page's "enable" button enables it, and the browser is back on the page.
        await HeadlessChromium.RunInPageAsync(url, "document.querySelector('tr[data-destination=\"exchange01\"] button[data-action=\"Active\"]').click()",
            () => exchange01.EffectiveState == DestinationAdminState.Active, "the click on enable reached the gateway");
        using (var drained = await PostFormAsync(admin, drainExchange01, $"http://{admin}", "same-origin"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, drained.StatusCode);
        }

        // A hostile id cannot smuggle another value into the action's query.
        var hostile = clusters.Get(HostileCluster)!.Find(HostileDestination)!;
        using (var drained = await PostFormAsync(admin, FormAction(dom, HostileDestination, "Drain"), $"http://{admin}", "same-origin"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, drained.StatusCode);
        }

        Assert.Equal(DestinationAdminState.Drain, hostile.EffectiveState);

        var after = await HeadlessChromium.RunAsync("--dump-dom", url);
        Assert.Matches(Row("destination", "exchange01") + @".*?<td class=""state Drain"">draining <span class=""muted"">\(set at runtime\)</span></td><td class=""n since"">\d+ s</td>", after);
        Assert.Matches(Row("destination", "exchange01") + @".*?<button type=""submit"" data-action=""Active"">enable</button>.*?data-action=""Config"">as configured</button>", after);

        var artifacts = Path.Combine(CheckTests.RepositoryRoot(), "TestResults");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "stats-page.png");
        File.Delete(screenshot);
        await HeadlessChromium.RunAsync($"--screenshot={screenshot}", "--window-size=1500,4200", "--hide-scrollbars", url);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
        Console.WriteLine($"stats page screenshot: {screenshot}");
    }

    [Fact]
    public async Task With_admin_users_the_page_and_its_actions_need_credentials()
    {
        await using var exchange = await TestBackend.StartAsync("exchange", TestCertificates.Get("exchange.test").Certificate);
        using var refusing = new ClosedPort();
        using var hostileDown = new ClosedPort();
        var settings = Gateway(exchange, refusing, hostileDown);
        settings["Admin"] = new JsonObject { ["Users"] = new JsonObject { ["admin"] = new JsonObject { ["PasswordHash"] = Core.PasswordHash.Create("correct horse") } } };
        await using var gateway = await TestGateway.StartAsync(settings);
        var destination = gateway.Services.GetRequiredService<PassthroughClusters>().Get("exchange")!.Find("exchange01")!;
        const string Drain = "stats/state?cluster=exchange&destination=exchange01&value=Drain&layer=passthrough";

        using (var anonymous = await PostFormAsync(gateway.Admin, Drain, $"http://{gateway.Admin}", "same-origin"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        Assert.Equal(DestinationAdminState.Active, destination.EffectiveState);
        using (var signedIn = await PostFormAsync(gateway.Admin, Drain, $"http://{gateway.Admin}", "same-origin", ("admin", "correct horse")))
        {
            Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        }

        Assert.Equal(DestinationAdminState.Drain, destination.EffectiveState);
        using (var unknown = await PostFormAsync(gateway.Admin, "stats/state?cluster=exchange&destination=nope&value=Drain", $"http://{gateway.Admin}", "same-origin", ("admin", "correct horse")))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode); // the API's refusal, not a redirect that hides it
        }
    }

    private static string Row(string kind, string id) => $"<tr data-{kind}=\"{Regex.Escape(WebUtility.HtmlEncode(id))}\">";

    /// <summary>The action of a destination's button on the page, as the browser resolves it (entities decoded).</summary>
    private static string FormAction(string page, string destination, string value)
    {
        var row = Regex.Match(page, Row("destination", destination) + ".*?</tr>");
        Assert.True(row.Success, $"no row for destination {destination}");
        var form = Regex.Match(row.Value, "<form class=\"action\" method=\"post\" action=\"([^\"]+)\"><button type=\"submit\" data-action=\"" + value + "\"");
        Assert.True(form.Success, $"no {value} button for destination {destination}");
        return WebUtility.HtmlDecode(form.Groups[1].Value);
    }

    /// <summary>A form post with the headers Chromium sends for a form submitted from a page of <paramref name="origin"/>.</summary>
    private static async Task<HttpResponseMessage> PostFormAsync(IPEndPoint admin, string action, string origin, string site, (string User, string Password)? login = null)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = new Uri($"http://{admin}/") };
        using var request = new HttpRequestMessage(HttpMethod.Post, action) { Content = new StringContent("", Encoding.ASCII, "application/x-www-form-urlencoded") };
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Sec-Fetch-Site", site);
        request.Headers.Add("Sec-Fetch-Mode", "navigate");
        request.Headers.Add("Sec-Fetch-Dest", "document");
        request.Headers.Referrer = origin == "null" ? null : new Uri(origin + "/stats");
        if (login is { } credentials)
        {
            request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.User}:{credentials.Password}")));
        }

        return await client.SendAsync(request);
    }

    private static JsonObject Gateway(TestBackend exchange, ClosedPort refusing, ClosedPort hostileDown) => new()
    {
        ["Passthrough"] = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["exchange"] = new JsonObject { ["Hosts"] = new JsonArray("exchange.test", "autodiscover.test", "*.dag.test"), ["ClusterId"] = "exchange" },
                ["broken"] = new JsonObject { ["Hosts"] = new JsonArray("broken.test"), ["ClusterId"] = "broken" },
                ["hashed"] = new JsonObject { ["Hosts"] = new JsonArray("hashed.test"), ["ClusterId"] = "hashed" },
                [HostileRoute] = new JsonObject { ["Hosts"] = new JsonArray("evil.test"), ["ClusterId"] = HostileCluster },
            },
            ["Clusters"] = new JsonObject
            {
                ["exchange"] = new JsonObject
                {
                    ["Destinations"] = new JsonObject
                    {
                        ["exchange01"] = new JsonObject { ["Address"] = exchange.Address },
                        ["exchange02"] = new JsonObject { ["Address"] = refusing.Address },
                    },
                    ["HealthCheck"] = new JsonObject
                    {
                        ["Active"] = new JsonObject { ["Enabled"] = true, ["Interval"] = "200ms", ["Timeout"] = "500ms", ["Rise"] = 1, ["Fall"] = 2 },
                    },
                    ["SessionAffinity"] = new JsonObject { ["Policy"] = "SourceIp", ["Expiry"] = "30m", ["MaxEntries"] = 100 },
                    ["IdleTimeout"] = "01:00:00",
                },
                ["broken"] = new JsonObject
                {
                    ["Destinations"] = new JsonObject { ["nothing"] = new JsonObject { ["Address"] = refusing.Address } },
                    ["Retries"] = 0,
                },
                ["hashed"] = new JsonObject
                {
                    ["LoadBalancingPolicy"] = "SourceIpHash",
                    ["Destinations"] = new JsonObject
                    {
                        ["h1"] = new JsonObject { ["Address"] = exchange.Address },
                        ["h2"] = new JsonObject { ["Address"] = exchange.Address },
                    },
                },
                [HostileCluster] = new JsonObject { ["Destinations"] = new JsonObject { [HostileDestination] = new JsonObject { ["Address"] = hostileDown.Address } } },
            },
        },
    };

    private static JsonObject Proxy(TestBackend app, ClosedPort down) => new()
    {
        ["Routes"] = new JsonObject
        {
            ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.test") } },
            ["down"] = new JsonObject { ["ClusterId"] = "down", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("down.test") } },
        },
        ["Clusters"] = new JsonObject
        {
            ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
            ["down"] = new JsonObject { ["Destinations"] = new JsonObject { ["down01"] = new JsonObject { ["Address"] = $"http://{down.Address}/" } } },
        },
    };
}
