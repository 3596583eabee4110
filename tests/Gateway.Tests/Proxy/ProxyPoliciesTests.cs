using System.Net;
using Gateway.Configuration;
using Gateway.Proxy;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Proxy;

public sealed class ProxyPoliciesTests
{
    private static readonly Dictionary<string, string?> YarpSection = new()
    {
        ["ReverseProxy:Routes:owa:ClusterId"] = "exchange",
        ["ReverseProxy:Routes:owa:Match:Hosts:0"] = "mail.example:443",
        ["ReverseProxy:Routes:owa:Match:Path"] = "{**catch-all}",
        ["ReverseProxy:Routes:app:ClusterId"] = "app",
        ["ReverseProxy:Routes:app:Match:Hosts:0"] = "app.example",
        ["ReverseProxy:Clusters:exchange:Destinations:ex1:Address"] = "https://127.0.0.1:9443/",
        ["ReverseProxy:Clusters:app:Destinations:app1:Address"] = "http://127.0.0.1:9080/",
    };

    [Fact]
    public async Task The_exchange_preset_pins_connections_speaks_http_1_1_waits_an_hour_and_probes_owa()
    {
        var (generation, errors) = await BuildAsync(new() { ["Gateway:Proxy:Clusters:exchange:Preset"] = "Exchange" });

        Assert.Empty(errors);
        var exchange = generation!.Get<YarpConfig>().Clusters.Single(c => c.ClusterId == "exchange");
        Assert.Equal(HttpVersion.Version11, exchange.HttpRequest!.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, exchange.HttpRequest.VersionPolicy);
        Assert.Equal(TimeSpan.FromHours(1), exchange.HttpRequest.ActivityTimeout);
        Assert.True(exchange.HealthCheck!.Active!.Enabled);
        Assert.Equal("/owa/healthcheck.htm", exchange.HealthCheck.Active.Path);
        Assert.NotNull(generation.Get<ProxyPolicies>().Pinned("exchange"));
        Assert.Null(generation.Get<ProxyPolicies>().Pinned("app"));
        Assert.True(generation.Get<ProxyPolicies>().Http11Only("MAIL.example."));
        Assert.False(generation.Get<ProxyPolicies>().Http11Only("app.example"));
        // An ordinary cluster keeps YARP's settings, but for HTTP/1.1 to the backend (one client per connection).
        Assert.Equal(new ForwarderRequestConfig { Version = HttpVersion.Version11 }, generation.Get<YarpConfig>().Clusters.Single(c => c.ClusterId == "app").HttpRequest);
    }

    [Fact]
    public async Task Mistakes_in_gateway_proxy_are_named_with_their_path()
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["Gateway:Proxy:Clusters:exchange:Preset"] = "Exchange",
            ["Gateway:Proxy:Clusters:exchange:ConnectionPinned"] = "false",
            ["Gateway:Proxy:Clusters:missing:ConnectionPinned"] = "true",
            ["Gateway:Proxy:Routes:nope:PathRules:0:Paths:0"] = "/ecp",
            ["Gateway:Proxy:Routes:owa:PathRules:0:Paths:0"] = "ecp",
            ["Gateway:Proxy:Routes:owa:PathRules:0:AllowedNetworks:0"] = "127.0.0.0/33",
            ["Gateway:Proxy:Routes:owa:PathRules:1:AllowedNetworks:0"] = "127.0.0.1",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Proxy:Clusters:exchange:ConnectionPinned", "needs connection pinning");
        AssertError(messages, "Gateway:Proxy:Clusters:missing", "there is no cluster 'missing'");
        AssertError(messages, "Gateway:Proxy:Routes:nope", "there is no route 'nope'");
        AssertError(messages, "Gateway:Proxy:Routes:owa:PathRules:0:Paths:0", "paths start with '/'");
        AssertError(messages, "Gateway:Proxy:Routes:owa:PathRules:0:AllowedNetworks:0", "CIDR");
        AssertError(messages, "Gateway:Proxy:Routes:owa:PathRules:1:Paths", "at least one path");
    }

    [Fact]
    public async Task Per_request_auth_schemes_must_be_scheme_names_and_never_connection_bound_ones()
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:0"] = "Token",
            ["Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:1"] = "negotiate",
            ["Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:2"] = "Api Key",
            ["Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:3"] = "Kerberos",
            ["Gateway:Proxy:Clusters:exchange:PerRequestAuthSchemes"] = "Token",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:1", "binds an identity to the backend connection");
        AssertError(messages, "Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:2", "is not an authentication scheme name");
        AssertError(messages, "Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:3", "binds an identity to the backend connection");
        AssertError(messages, "Gateway:Proxy:Clusters:exchange:PerRequestAuthSchemes", "a list of scheme names");
        Assert.Equal(4, messages.Count);

        var (generation, valid) = await BuildAsync(new() { ["Gateway:Proxy:Clusters:app:PerRequestAuthSchemes:0"] = "Token" });
        Assert.Empty(valid);
        Assert.Contains("token", generation!.Get<ProxyPolicies>().PerRequestAuthSchemes("APP"));
        Assert.Empty(generation.Get<ProxyPolicies>().PerRequestAuthSchemes("exchange"));
    }

    [Fact]
    public async Task Mistakes_in_proxy_host_settings_are_named_with_their_path()
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["Gateway:Proxy:Routes:app:Access:0"] = "allow the office",
            ["Gateway:Proxy:Routes:app:Satisfy"] = "Some",
            ["Gateway:Proxy:Routes:app:Users:bob:PasswordHash"] = "plain-text",
            ["Gateway:Proxy:Routes:app:Hsts:Preload"] = "true",
            ["Gateway:Proxy:Redirects:old:Hosts:0"] = "app.example",
            ["Gateway:Proxy:Redirects:old:To"] = "new.example",
            ["Gateway:Proxy:Redirects:moved:Hosts:0"] = "moved.example",
            ["Gateway:Proxy:Redirects:moved:To"] = "https://new.example",
            ["Gateway:Proxy:Redirects:moved:Code"] = "303",
            ["Gateway:Proxy:Redirects:dup:Hosts:0"] = "app.example",
            ["Gateway:Proxy:Redirects:dup:To"] = "https://new.example",
            ["Gateway:Proxy:DefaultSite:Action"] = "Redirect",
            ["Gateway:Proxy:ErrorPages:502"] = "/nonexistent/502.html",
            ["Gateway:Proxy:ErrorPages:500"] = "500.html",
            ["Gateway:Tls:UnknownSni"] = "Ignore",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Proxy:Routes:app:Access:0", "deny all");
        AssertError(messages, "Gateway:Proxy:Routes:app:Satisfy", "not Any or All");
        AssertError(messages, "Gateway:Proxy:Routes:app:Users:bob:PasswordHash", "--hash-password");
        AssertError(messages, "Gateway:Proxy:Routes:app:Hsts:Preload", "IncludeSubDomains");
        AssertError(messages, "Gateway:Proxy:Redirects:old:To", "absolute http(s) URL");
        AssertError(messages, "Gateway:Proxy:Redirects:moved:Code", "301, 302, 307 or 308");
        AssertError(messages, "Gateway:Proxy:Redirects:dup:Hosts", "also served by route 'app'");
        AssertError(messages, "Gateway:Proxy:DefaultSite:To", "absolute URL");
        AssertError(messages, "Gateway:Proxy:ErrorPages:502", "cannot read");
        AssertError(messages, "Gateway:Proxy:ErrorPages:500", "502, 503, 504");
        AssertError(messages, "Gateway:Tls:UnknownSni", "Terminate, Reject");
    }

    [Theory]
    [InlineData("/ecp", "/ecp", true)]
    [InlineData("/ecp", "/ECP/default.aspx", true)]
    [InlineData("/ecp", "/ecpx", false)]
    [InlineData("/ecp", "/owa/ecp", false)]
    [InlineData("/", "/anything", true)]
    [InlineData("/ecp", "/ecp%2Fdefault.aspx", true)]
    [InlineData("/ecp", "/ecp%5cdefault.aspx", true)]
    [InlineData("/ecp", "/ecp /x", true)]
    [InlineData("/PowerShell", "/powershell. /", true)]
    public void A_path_rule_covers_its_prefix_on_segment_boundaries(string prefix, string path, bool covered) =>
        Assert.Equal(covered, RequestPath.Read(path).IsUnder([prefix]));

    [Theory]
    [InlineData("/ecp//owa", "is read as '/ecp/owa'")]
    [InlineData("/ecp ", "is read as '/ecp'")]
    [InlineData("/ecp;x", "is read as '/ecp'")]
    [InlineData("/a\\b", "is read as '/a/b'")]
    [InlineData("/%65cp", "not a plain path")]
    [InlineData("/..;/ecp", "not a plain path")]
    public async Task A_path_rule_prefix_must_be_written_the_way_requests_are_read(string prefix, string message)
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["Gateway:Proxy:Routes:owa:PathRules:0:Paths:0"] = prefix,
            ["Gateway:Proxy:Routes:owa:PathRules:0:AllowedNetworks:0"] = "127.0.0.2/32",
        });

        AssertError(errors.Select(e => e.ToString()).ToList(), "Gateway:Proxy:Routes:owa:PathRules:0:Paths:0", message);
    }

    private static void AssertError(List<string> messages, string path, string fragment) =>
        Assert.True(messages.Any(m => m.StartsWith(path + ": ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", messages)}");

    [Fact]
    public async Task Yarp_authorization_and_cors_policies_are_refused_with_what_to_do_instead()
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["ReverseProxy:Routes:app:AuthorizationPolicy"] = "Default",
            ["ReverseProxy:Routes:app:CorsPolicy"] = "Default",
            ["ReverseProxy:Routes:owa:AuthorizationPolicy"] = "anonymous",
            ["ReverseProxy:Routes:owa:CorsPolicy"] = "disable",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Equal(3, messages.Count);
        AssertError(messages, "ReverseProxy:Routes:app:AuthorizationPolicy", "Gateway:Proxy:Routes:app:Users");
        AssertError(messages, "ReverseProxy:Routes:app:CorsPolicy", "CORS middleware");
        AssertError(messages, "ReverseProxy:Routes:owa:CorsPolicy", "CORS middleware");
    }

    [Fact]
    public async Task Yarp_route_timeouts_are_refused_with_the_cluster_timeouts_to_use_instead()
    {
        var (_, errors) = await BuildAsync(new()
        {
            ["ReverseProxy:Routes:app:Timeout"] = "1500ms",
            ["ReverseProxy:Routes:owa:TimeoutPolicy"] = "Short",
        });

        var messages = errors.Select(e => e.ToString()).ToList();
        Assert.Equal(2, messages.Count);
        AssertError(messages, "ReverseProxy:Routes:app:Timeout", "ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout or Gateway:Proxy:Clusters:app:ActivityTimeout");
        AssertError(messages, "ReverseProxy:Routes:owa:TimeoutPolicy", "'Short' needs ASP.NET Core's request-timeout middleware");
    }

    [Fact]
    public async Task A_yarp_route_timeout_policy_of_disable_asks_for_nothing_and_is_accepted()
    {
        var (generation, errors) = await BuildAsync(new() { ["ReverseProxy:Routes:app:TimeoutPolicy"] = "Disable" });

        Assert.Empty(errors);
        Assert.NotNull(generation);
    }

    [Fact]
    public async Task A_yarp_route_asking_for_the_default_rate_limiter_which_gateway_does_not_run_is_refused()
    {
        var (_, errors) = await BuildAsync(new() { ["ReverseProxy:Routes:app:RateLimiterPolicy"] = "default" });

        var error = Assert.Single(errors);
        Assert.Equal("ReverseProxy:Routes:app:RateLimiterPolicy", error.Path);
        Assert.Contains("the route would not be limited at all", error.ToString(), StringComparison.Ordinal);

        var (generation, none) = await BuildAsync(new() { ["ReverseProxy:Routes:app:RateLimiterPolicy"] = "Disable" });
        Assert.Empty(none);
        Assert.NotNull(generation);
    }

    private static async Task<(Generation? Generation, IReadOnlyList<ConfigError> Errors)> BuildAsync(Dictionary<string, string?> gateway)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(YarpSection).AddInMemoryCollection(gateway).Build();
        var (generation, errors) = await ConfigUnderTest.BuildAsync(configuration, "/tmp");
        return (generation, errors);
    }
}
