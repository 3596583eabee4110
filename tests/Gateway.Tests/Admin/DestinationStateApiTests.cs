using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Proxy;

namespace Gateway.Tests.Admin;

/// <summary>
/// The runtime state API over both cluster namespaces, tried as an attacker or a hurried operator would: an id that is
/// both a passthrough and a proxy cluster, other spellings, encodings, numbers and lists for the state, the wrong
/// method, and no credentials.
/// </summary>
public sealed class DestinationStateApiTests : IAsyncLifetime
{
    private NamedBackends _passthrough = null!;
    private TestBackend _web = null!;
    private TestGateway _gateway = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _passthrough = new NamedBackends("a", "b");
        _web = await TestBackend.StartAsync("web");
        var proxy = ProxyDestinationStateTests.Proxy(_web);
        proxy["Clusters"]!["pool"] = new JsonObject { ["Destinations"] = new JsonObject { ["d1"] = new JsonObject { ["Address"] = $"http://{_web.Address}/" } } };
        _gateway = await TestGateway.StartAsync(_passthrough.Gateway(), proxy);
        _admin = ProxyDestinationStateTests.Admin(_gateway);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _gateway.DisposeAsync();
        await _web.DisposeAsync();
        await _passthrough.DisposeAsync();
    }

    [Fact]
    public async Task An_id_both_layers_use_is_refused_without_a_layer_and_taken_with_one()
    {
        var (status, body) = await PostAsync("api/clusters/pool/destinations/a/state?value=Drain");
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("layer=passthrough or layer=proxy", body, StringComparison.Ordinal);
        var untouched = JsonNode.Parse(await _admin.GetStringAsync("stats.json"))!["clusters"]!.AsArray();
        Assert.All(untouched.SelectMany(c => c!["destinations"]!.AsArray()), d => Assert.Equal("Active", (string)d!["state"]!));

        var l4 = await ProxyDestinationStateTests.SetAsync(_admin, "pool", "a", "Drain", "passthrough");
        Assert.Equal(("passthrough", "Drain"), ((string)l4["layer"]!, (string)l4["state"]!));
        var l7 = await ProxyDestinationStateTests.SetAsync(_admin, "POOL", "D1", "disabled", "Proxy");
        Assert.Equal(("pool", "d1", "proxy", "Disabled"), ((string)l7["cluster"]!, (string)l7["destination"]!, (string)l7["layer"]!, (string)l7["state"]!));

        // Each layer's destination only in its own layer.
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("api/clusters/pool/destinations/d1/state?value=Drain&layer=passthrough")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("api/clusters/pool/destinations/a/state?value=Drain&layer=proxy")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("api/clusters/app/destinations/d1/state?value=Drain&layer=passthrough")).Status);

        var stats = JsonNode.Parse(await _admin.GetStringAsync("stats.json"))!["clusters"]!.AsArray();
        Assert.Equal(["passthrough", "proxy", "proxy"], stats.Select(c => (string)c!["layer"]!));
        Assert.Equal("pool", (string)stats[0]!["id"]!);
        var pool = stats.Single(c => (string)c!["id"]! == "pool" && (string)c["layer"]! == "proxy")!;
        Assert.Equal("Disabled", (string)pool["destinations"]![0]!["state"]!);
        var a = stats[0]!["destinations"]!.AsArray().Single(d => (string)d!["id"]! == "a")!;
        Assert.Equal("Drain", (string)a["state"]!);
    }

    [Theory]
    [InlineData("api/clusters/app/destinations/d1/state?value=Drain&layer=l7", HttpStatusCode.BadRequest, "layer 'l7' is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=Drain&layer=", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=1", HttpStatusCode.BadRequest, "'1' is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=-1", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=Active,Drain", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=%20Drain", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=Drain%00", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state?value=", HttpStatusCode.BadRequest, "is not one of")]
    [InlineData("api/clusters/app/destinations/d1/state", HttpStatusCode.BadRequest, "value is required")]
    [InlineData("api/clusters/app/destinations/zz/state?value=Drain", HttpStatusCode.NotFound, "no destination 'zz' in proxy cluster 'app'")]
    [InlineData("api/clusters/nope/destinations/d1/state?value=Drain", HttpStatusCode.NotFound, "no passthrough or proxy cluster 'nope'")]
    [InlineData("api/clusters/app%2Fx/destinations/d1/state?value=Drain", HttpStatusCode.NotFound, "")]
    [InlineData("api/clusters/app/destinations/d1%2F..%2Fd1/state?value=Drain", HttpStatusCode.NotFound, "")]
    [InlineData("api/clusters/app/destinations/d1%00/state?value=Drain", HttpStatusCode.BadRequest, "")] // Kestrel refuses a NUL in the path
    [InlineData("api/clusters/%61pp/destinations/d1/state?value=Drain&layer=PROXY", HttpStatusCode.OK, "\"state\": \"Drain\"")]
    public async Task Bad_input_gets_a_clear_answer_and_changes_nothing(string path, HttpStatusCode expected, string message)
    {
        var (status, body) = await PostAsync(path);
        Assert.True(status == expected, $"{(int)status}: {body}");
        Assert.Contains(message, body, StringComparison.Ordinal);
        if (expected != HttpStatusCode.OK)
        {
            var app = JsonNode.Parse(await _admin.GetStringAsync("stats.json"))!["clusters"]!.AsArray().Single(c => (string)c!["id"]! == "app")!;
            Assert.Equal("Active", (string)app["destinations"]![0]!["state"]!);
        }
    }

    [Fact]
    public async Task Get_is_not_a_state_change_and_a_cross_site_post_is_refused()
    {
        using (var get = await _admin.GetAsync("api/clusters/app/destinations/d1/state?value=Disabled"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        }

        using (var foreign = new HttpRequestMessage(HttpMethod.Post, "api/clusters/app/destinations/d1/state?value=Disabled") { Headers = { { "Origin", "https://evil.test" } } })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await _admin.SendAsync(foreign)).StatusCode);
        }

        using var client = HostClient.Create(_gateway.Https, "app.test");
        Assert.StartsWith("web ", await client.GetStringAsync("/"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_admin_users_a_state_change_needs_their_password()
    {
        var hash = PasswordHash.Create("correct horse");
        var section = _passthrough.Gateway();
        section["Admin"] = new JsonObject { ["Users"] = new JsonObject { ["admin"] = new JsonObject { ["PasswordHash"] = hash } } };
        await using var gateway = await TestGateway.StartAsync(section, ProxyDestinationStateTests.Proxy(_web));
        using var admin = ProxyDestinationStateTests.Admin(gateway);
        const string Disable = "api/clusters/app/destinations/d1/state?value=Disabled";

        using (var anonymous = await admin.PostAsync(Disable, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var client = HostClient.Create(gateway.Https, "app.test");
        Assert.StartsWith("web ", await client.GetStringAsync("/"), StringComparison.Ordinal);

        using var authorized = new HttpRequestMessage(HttpMethod.Post, Disable);
        authorized.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:correct horse")));
        Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(authorized)).StatusCode);
        using var refused = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
    }

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path)
    {
        using var response = await _admin.PostAsync(path, null);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
