using Gateway.Proxy;
using Gateway.Tests.Infrastructure;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Proxy;

/// <summary>
/// Every key of <c>ReverseProxy</c> is one YARP reads, or the file is refused with its path; every value YARP would
/// fail to parse is one error with its path; durations are written as in the rest of the file.
/// </summary>
public sealed class YarpSectionCheckTests
{
    /// <summary>
    /// Every key YARP 2.3's ConfigurationConfigProvider reads, copied from its source (levels named by the operator as
    /// {}, list indices as {n}). When a YARP upgrade adds a key, the model read from YARP's types has it and this list
    /// does not: look at what the new reader reads and add it here.
    /// </summary>
    internal static readonly string[] KeysYarpReads =
    [
        "Routes:{}:Order", "Routes:{}:MaxRequestBodySize", "Routes:{}:ClusterId", "Routes:{}:AuthorizationPolicy",
        "Routes:{}:RateLimiterPolicy", "Routes:{}:OutputCachePolicy", "Routes:{}:TimeoutPolicy", "Routes:{}:Timeout",
        "Routes:{}:CorsPolicy", "Routes:{}:Metadata:{}", "Routes:{}:Transforms:{n}:{}",
        "Routes:{}:Match:Methods:{n}", "Routes:{}:Match:Hosts:{n}", "Routes:{}:Match:Path",
        "Routes:{}:Match:Headers:{n}:Name", "Routes:{}:Match:Headers:{n}:Values:{n}", "Routes:{}:Match:Headers:{n}:Mode",
        "Routes:{}:Match:Headers:{n}:IsCaseSensitive",
        "Routes:{}:Match:QueryParameters:{n}:Name", "Routes:{}:Match:QueryParameters:{n}:Values:{n}",
        "Routes:{}:Match:QueryParameters:{n}:Mode", "Routes:{}:Match:QueryParameters:{n}:IsCaseSensitive",
        "Clusters:{}:LoadBalancingPolicy", "Clusters:{}:Metadata:{}",
        "Clusters:{}:Destinations:{}:Address", "Clusters:{}:Destinations:{}:Health", "Clusters:{}:Destinations:{}:Metadata:{}",
        "Clusters:{}:Destinations:{}:Host",
        "Clusters:{}:SessionAffinity:Enabled", "Clusters:{}:SessionAffinity:Policy", "Clusters:{}:SessionAffinity:FailurePolicy",
        "Clusters:{}:SessionAffinity:AffinityKeyName",
        "Clusters:{}:SessionAffinity:Cookie:Path", "Clusters:{}:SessionAffinity:Cookie:SameSite", "Clusters:{}:SessionAffinity:Cookie:HttpOnly",
        "Clusters:{}:SessionAffinity:Cookie:MaxAge", "Clusters:{}:SessionAffinity:Cookie:Domain", "Clusters:{}:SessionAffinity:Cookie:IsEssential",
        "Clusters:{}:SessionAffinity:Cookie:SecurePolicy", "Clusters:{}:SessionAffinity:Cookie:Expiration",
        "Clusters:{}:HealthCheck:AvailableDestinationsPolicy",
        "Clusters:{}:HealthCheck:Passive:Enabled", "Clusters:{}:HealthCheck:Passive:Policy", "Clusters:{}:HealthCheck:Passive:ReactivationPeriod",
        "Clusters:{}:HealthCheck:Active:Enabled", "Clusters:{}:HealthCheck:Active:Interval", "Clusters:{}:HealthCheck:Active:Timeout",
        "Clusters:{}:HealthCheck:Active:Policy", "Clusters:{}:HealthCheck:Active:Path", "Clusters:{}:HealthCheck:Active:Query",
        "Clusters:{}:HttpClient:SslProtocols:{n}", "Clusters:{}:HttpClient:DangerousAcceptAnyServerCertificate",
        "Clusters:{}:HttpClient:MaxConnectionsPerServer", "Clusters:{}:HttpClient:EnableMultipleHttp2Connections",
        "Clusters:{}:HttpClient:RequestHeaderEncoding", "Clusters:{}:HttpClient:ResponseHeaderEncoding",
        "Clusters:{}:HttpClient:WebProxy:Address", "Clusters:{}:HttpClient:WebProxy:BypassOnLocal",
        "Clusters:{}:HttpClient:WebProxy:UseDefaultCredentials",
        "Clusters:{}:HttpRequest:ActivityTimeout", "Clusters:{}:HttpRequest:Version", "Clusters:{}:HttpRequest:VersionPolicy",
        "Clusters:{}:HttpRequest:AllowResponseBuffering",
    ];

    [Fact]
    public void The_keys_read_from_YARPs_types_are_the_keys_YARPs_reader_reads()
    {
        Assert.Equal("2.3.0.0", typeof(RouteConfig).Assembly.GetName().Version!.ToString());
        var model = new List<string>();
        Leaves(YarpShape.ReverseProxy, "", model);

        Assert.Equal(KeysYarpReads.Order(StringComparer.Ordinal), model.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ReverseProxy:Routes:app:Match:Host", "app.example", "ReverseProxy:Routes:app:Match:Host", "(did you mean 'Hosts'?)")]
    [InlineData("ReverseProxy:Clusters:app:Destination:d1:Address", "http://127.0.0.1:9080/", "ReverseProxy:Clusters:app:Destination", "(did you mean 'Destinations'?)")]
    [InlineData("ReverseProxy:Clusters:app:HealthCheck:Active:Intervall", "00:00:10", "ReverseProxy:Clusters:app:HealthCheck:Active:Intervall", "(did you mean 'Interval'?)")]
    [InlineData("ReverseProxy:Routes:app:Match:Hosts", "app.example", "ReverseProxy:Routes:app:Match:Hosts", "Hosts is a list: write [ \"app.example\" ]")]
    [InlineData("ReverseProxy:Routes:app:Match:Hosts:first", "app.example", "ReverseProxy:Routes:app:Match:Hosts:first", "Hosts is a list")]
    [InlineData("ReverseProxy:Routes:app:Match", "app.example", "ReverseProxy:Routes:app:Match", "Match is a section with the keys: Methods, Hosts, Path, QueryParameters, Headers")]
    [InlineData("ReverseProxy:Routes:app:Match:Path:Value", "/", "ReverseProxy:Routes:app:Match:Path", "a value is expected here, not a section")]
    [InlineData("ReverseProxy:Routes:app:RouteId", "app", "ReverseProxy:Routes:app:RouteId", "the id is the entry's name ('app')")]
    [InlineData("ReverseProxy:Clusters:app:ClusterId", "app", "ReverseProxy:Clusters:app:ClusterId", "the id is the entry's name ('app')")]
    [InlineData("ReverseProxy:Listeners:Https", "127.0.0.1:0", "ReverseProxy:Listeners", "expected one of: Routes, Clusters")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "5x", "ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "'5x' is not a duration")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:Version", "two", "ReverseProxy:Clusters:app:HttpRequest:Version", "'two' is not an HTTP version")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:VersionPolicy", "Exact", "ReverseProxy:Clusters:app:HttpRequest:VersionPolicy", "'Exact' is not one of: RequestVersionOrLower, RequestVersionOrHigher, RequestVersionExact")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:AllowResponseBuffering", "yes", "ReverseProxy:Clusters:app:HttpRequest:AllowResponseBuffering", "'yes' is not true or false")]
    [InlineData("ReverseProxy:Clusters:app:HttpClient:MaxConnectionsPerServer", "lots", "ReverseProxy:Clusters:app:HttpClient:MaxConnectionsPerServer", "'lots' is not a whole number")]
    [InlineData("ReverseProxy:Clusters:app:HttpClient:SslProtocols:0", "Tls14", "ReverseProxy:Clusters:app:HttpClient:SslProtocols:0", "'Tls14' is not one of:")]
    [InlineData("ReverseProxy:Clusters:app:HttpClient:SslProtocols", "Tls13", "ReverseProxy:Clusters:app:HttpClient:SslProtocols", "SslProtocols is a list")]
    [InlineData("ReverseProxy:Clusters:app:HttpClient:WebProxy:Address", "proxy", "ReverseProxy:Clusters:app:HttpClient:WebProxy:Address", "'proxy' is not an absolute URL")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address", "not a url", "ReverseProxy:Clusters:app:Destinations:d1:Address", "'not a url' is not an absolute http:// or https:// URL")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address", "127.0.0.1:22980", "ReverseProxy:Clusters:app:Destinations:d1:Address", "write it as \"http://127.0.0.1:22980/\"")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address", "ftp://127.0.0.1:22980/", "ReverseProxy:Clusters:app:Destinations:d1:Address", "is not an absolute http:// or https:// URL")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address", "http://127.0.0.1:99999/", "ReverseProxy:Clusters:app:Destinations:d1:Address", "a port from 1 to 65535")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address", "http://", "ReverseProxy:Clusters:app:Destinations:d1:Address", "is not an absolute http:// or https:// URL")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Health", "127.0.0.1:22981", "ReverseProxy:Clusters:app:Destinations:d1:Health", "write it as \"http://127.0.0.1:22981/\"")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Health", "ftp://127.0.0.1:22981/", "ReverseProxy:Clusters:app:Destinations:d1:Health", "is not an absolute http:// or https:// URL")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "0s", "ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "0s is out of range; it must be at least 00:00:01")]
    [InlineData("ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "00:00:00.500", "ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "00:00:00.500 is out of range; it must be at least 00:00:01")]
    [InlineData("ReverseProxy:Routes:app:Order", "first", "ReverseProxy:Routes:app:Order", "'first' is not a whole number")]
    [InlineData("ReverseProxy:Routes:app:MaxRequestBodySize", "10MB", "ReverseProxy:Routes:app:MaxRequestBodySize", "'10MB' is not a whole number")]
    [InlineData("ReverseProxy:Routes:app:Match:Headers:0:Mode", "Exact", "ReverseProxy:Routes:app:Match:Headers:0:Mode", "'Exact' is not one of:")]
    [InlineData("ReverseProxy:Routes:app:Transforms:0:RequestHeader:Name", "X", "ReverseProxy:Routes:app:Transforms:0:RequestHeader", "a value is expected here")]
    public void A_mistake_in_ReverseProxy_is_one_error_with_its_path(string key, string value, string path, string message)
    {
        var values = App();
        foreach (var below in values.Keys.Where(k => k.StartsWith(key + ":", StringComparison.Ordinal)).ToList())
        {
            values.Remove(below);
        }

        values[key] = value;

        var generation = ConfigUnderTest.Read(values, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_and_cluster_in_error_are_not_reported_missing_by_what_names_them()
    {
        var values = App();
        values["ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout"] = "soon";
        values["ReverseProxy:Routes:app:Order"] = "first";
        values["Gateway:Proxy:Routes:app:ForceHttps"] = "false";
        values["Gateway:Proxy:Clusters:app:ConnectionPinned"] = "true";

        var generation = ConfigUnderTest.Read(values, "/", out var errors);

        Assert.Null(generation);
        Assert.Equal(
            ["ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout", "ReverseProxy:Routes:app:Order"],
            errors.All.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void YARPs_validator_still_checks_the_routes_without_an_error_of_their_own()
    {
        var values = App();
        values["ReverseProxy:Routes:app:Order"] = "first";
        values["ReverseProxy:Routes:other:ClusterId"] = "app";
        values["ReverseProxy:Routes:other:Match:Hosts:0"] = "other.example";
        values["ReverseProxy:Routes:other:Match:Methods:0"] = "GET";
        values["ReverseProxy:Routes:other:Match:Methods:1"] = "get";

        ConfigUnderTest.Read(values, "/", out var errors);

        Assert.Equal(["ReverseProxy:Routes:app:Order", "ReverseProxy:Routes:other"], errors.All.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains("Duplicate HTTP method", errors.All[^1].Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("250ms", 250)]
    [InlineData("00:00:05", 5_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1.00:00:00", 86_400_000)]
    public void Durations_are_written_as_in_the_rest_of_the_file(string written, int milliseconds)
    {
        var values = App();
        values["ReverseProxy:Clusters:app:HttpRequest:ActivityTimeout"] = milliseconds >= 1_000 ? written : "1s"; // no shorter (ActivityTimeout's floor)
        values["ReverseProxy:Clusters:app:HealthCheck:Active:Enabled"] = "true";
        values["ReverseProxy:Clusters:app:HealthCheck:Active:Interval"] = written;
        values["ReverseProxy:Clusters:app:HealthCheck:Active:Timeout"] = written;
        values["ReverseProxy:Clusters:app:HealthCheck:Passive:Enabled"] = "true";
        values["ReverseProxy:Clusters:app:HealthCheck:Passive:ReactivationPeriod"] = written;
        values["ReverseProxy:Clusters:app:SessionAffinity:Enabled"] = "true";
        values["ReverseProxy:Clusters:app:SessionAffinity:AffinityKeyName"] = "a";
        values["ReverseProxy:Clusters:app:SessionAffinity:Cookie:MaxAge"] = written;
        values["ReverseProxy:Clusters:app:SessionAffinity:Cookie:Expiration"] = written;

        var generation = ConfigUnderTest.Read(values, "/", out var errors);

        Assert.True(generation is not null, string.Join("\n", errors.All));
        var expected = TimeSpan.FromMilliseconds(milliseconds);
        var yarp = generation.Get<YarpConfig>();
        var cluster = Assert.Single(yarp.Clusters);
        Assert.Equal(milliseconds >= 1_000 ? expected : TimeSpan.FromSeconds(1), cluster.HttpRequest!.ActivityTimeout);
        Assert.Equal(expected, cluster.HealthCheck!.Active!.Interval);
        Assert.Equal(expected, cluster.HealthCheck.Active.Timeout);
        Assert.Equal(expected, cluster.HealthCheck.Passive!.ReactivationPeriod);
        Assert.Equal(expected, cluster.SessionAffinity!.Cookie!.MaxAge);
        Assert.Equal(expected, cluster.SessionAffinity.Cookie.Expiration);
    }

    [Fact]
    public void Every_kind_of_value_YARP_reads_passes_when_written_right()
    {
        var values = App();
        values["ReverseProxy:Routes:app:Order"] = "-1";
        values["ReverseProxy:Routes:app:MaxRequestBodySize"] = "1048576";
        values["ReverseProxy:Routes:app:Metadata:Owner"] = "team";
        values["ReverseProxy:Routes:app:Transforms:0:RequestHeader"] = "X-App";
        values["ReverseProxy:Routes:app:Transforms:0:Set"] = "1";
        values["ReverseProxy:Routes:app:Match:Methods:0"] = "GET";
        values["ReverseProxy:Routes:app:Match:Headers:0:Name"] = "X-Mode";
        values["ReverseProxy:Routes:app:Match:Headers:0:Values:0"] = "a";
        values["ReverseProxy:Routes:app:Match:Headers:0:Mode"] = "headerprefix";
        values["ReverseProxy:Routes:app:Match:Headers:0:IsCaseSensitive"] = "True";
        values["ReverseProxy:Routes:app:Match:QueryParameters:0:Name"] = "q";
        values["ReverseProxy:Routes:app:Match:QueryParameters:0:Values:0"] = "1";
        values["ReverseProxy:Routes:app:Match:QueryParameters:0:Mode"] = "Exact";
        values["ReverseProxy:Clusters:app:LoadBalancingPolicy"] = "RoundRobin";
        values["ReverseProxy:Clusters:app:Destinations:d1:Metadata:Zone"] = "a";
        values["ReverseProxy:Clusters:app:HttpClient:SslProtocols:0"] = "Tls12";
        values["ReverseProxy:Clusters:app:HttpClient:SslProtocols:1"] = "tls13";
        values["ReverseProxy:Clusters:app:HttpClient:MaxConnectionsPerServer"] = "100";
        values["ReverseProxy:Clusters:app:HttpClient:WebProxy:Address"] = "http://127.0.0.1:3128";
        values["ReverseProxy:Clusters:app:HttpClient:WebProxy:BypassOnLocal"] = "false";
        values["ReverseProxy:Clusters:app:HttpRequest:Version"] = "2";
        values["ReverseProxy:Clusters:app:HttpRequest:VersionPolicy"] = "RequestVersionOrLower";
        values["ReverseProxy:Clusters:app:HttpRequest:AllowResponseBuffering"] = "false";
        values["ReverseProxy:Clusters:app:SessionAffinity:Enabled"] = "true";
        values["ReverseProxy:Clusters:app:SessionAffinity:AffinityKeyName"] = "a";
        values["ReverseProxy:Clusters:app:SessionAffinity:Cookie:SameSite"] = "Strict";
        values["ReverseProxy:Clusters:app:SessionAffinity:Cookie:SecurePolicy"] = "Always";

        var generation = ConfigUnderTest.Read(values, "/", out var errors);

        Assert.True(generation is not null, string.Join("\n", errors.All));
        var cluster = Assert.Single(generation.Get<YarpConfig>().Clusters);
        Assert.Equal(new Version(2, 0), cluster.HttpRequest!.Version);
        Assert.Equal(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13, cluster.HttpClient!.SslProtocols);
    }

    private static Dictionary<string, string?> App() => new()
    {
        ["Gateway:Listeners:Https"] = "127.0.0.1:0",
        ["ReverseProxy:Routes:app:ClusterId"] = "app",
        ["ReverseProxy:Routes:app:Match:Hosts:0"] = "app.example",
        ["ReverseProxy:Clusters:app:Destinations:d1:Address"] = "http://127.0.0.1:9080/",
    };

    private static void Leaves(YarpShape shape, string path, List<string> leaves)
    {
        var prefix = path.Length == 0 ? "" : path + ":";
        switch (shape)
        {
            case YarpShape.Fields fields:
                foreach (var (key, child) in fields.Keys)
                {
                    Leaves(child, prefix + key, leaves);
                }

                break;
            case YarpShape.Named named:
                Leaves(named.Entry, prefix + "{}", leaves);
                break;
            case YarpShape.Indexed indexed:
                Leaves(indexed.Item, prefix + "{n}", leaves);
                break;
            default:
                leaves.Add(path);
                break;
        }
    }
}
