using Gateway.Certificates;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Passthrough;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class GatewaySettingsTests
{
    [Fact]
    public void Defaults_are_loopback_listeners_and_the_haproxy_timeouts()
    {
        var config = Load(new Dictionary<string, string?>(), out var errors);

        Assert.False(errors.Any, string.Join("\n", errors.All));
        Assert.Equal("127.0.0.1:8443", config!.Get<ListenersConfig>().Https.ToString());
        Assert.Equal("127.0.0.1:8080", config!.Get<ListenersConfig>().Http!.ToString());
        Assert.Null(config!.Get<ListenersConfig>().HttpsPublicPort);
        Assert.Equal(TimeSpan.FromSeconds(5), config!.Get<ClientHelloConfig>().Timeout);
        Assert.Equal(16384, config!.Get<ClientHelloConfig>().MaxBytes);
        Assert.Equal(TlsMinProtocol.Tls12, config!.Get<TlsConfig>().MinProtocol);
        Assert.True(config!.Get<TlsConfig>().AllowResumption);
        Assert.Equal(Path.GetFullPath("/etc/gateway/certs"), config!.Get<CertificatesConfig>().Path);
    }

    [Fact]
    public void A_passthrough_route_resolves_its_cluster_with_defaults()
    {
        var config = Load(new()
        {
            ["Gateway:Passthrough:Routes:exchange:Hosts:0"] = "Exchange.Example.",
            ["Gateway:Passthrough:Routes:exchange:Hosts:1"] = "*.dag.example",
            ["Gateway:Passthrough:Routes:exchange:ClusterId"] = "exchange",
            ["Gateway:Passthrough:Clusters:exchange:Destinations:one:Address"] = "127.0.0.1:9443",
            ["Gateway:Passthrough:Clusters:exchange:Destinations:two:Address"] = "[::1]:9443",
        }, out var errors);

        Assert.False(errors.Any, string.Join("\n", errors.All));
        var route = config!.Get<PassthroughConfig>().Routes["exchange"];
        Assert.Equal(["exchange.example", "*.dag.example"], route.Hosts.Select(h => h.Value));
        var cluster = config!.Get<PassthroughConfig>().Clusters["exchange"];
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.ConnectTimeout);
        Assert.Equal(TimeSpan.FromHours(1), cluster.IdleTimeout);
        Assert.Equal("[::1]:9443", cluster.Destinations[1].Address.ToString());
    }

    [Fact]
    public void Every_error_is_reported_at_once_with_its_path()
    {
        Load(new()
        {
            ["Gateway:Listeners:Https"] = "443",
            ["Gateway:Listeners:Http"] = "example.com:80",
            ["Gateway:ClientHello:Timeout"] = "five seconds",
            ["Gateway:ClientHello:MaxBytes"] = "100",
            ["Gateway:ClientHello:Timout"] = "00:00:01",
            ["Gateway:Passthrough:Routes:exchange:Hosts:0"] = "exchange.example",
            ["Gateway:Passthrough:Routes:exchange:ClusterId"] = "exch",
            ["Gateway:Passthrough:Routes:owa:Hosts:0"] = "EXCHANGE.example",
            ["Gateway:Passthrough:Routes:owa:Hosts:1"] = "bad host",
            ["Gateway:Passthrough:Routes:owa:Hosts:2"] = "a.*.example",
            ["Gateway:Passthrough:Routes:owa:ClusterId"] = "exchange",
            ["Gateway:Passthrough:Clusters:exchange:Destinations:one:Address"] = "127.0.0.2",
            ["Gateway:Passthrough:Clusters:exchange:Destinations:two:Address"] = "127.0.0.1:70000",
            ["Gateway:Passthrough:Clusters:exchange:IdleTimeout"] = "-1s",
            ["Gateway:Tls:MinProtocol"] = "Ssl3",
            ["Gateway:Tls:Certificates:app.example:CertificatePath"] = "app.pem",
        }, out var errors);

        var messages = errors.All.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Listeners:Https", "not \"host:port\"");
        AssertError(messages, "Gateway:Listeners:Http", "not an IP address");
        AssertError(messages, "Gateway:ClientHello:Timeout", "not a duration");
        AssertError(messages, "Gateway:ClientHello:MaxBytes", "between 512 and");
        AssertError(messages, "Gateway:ClientHello:Timout", "unknown key 'Timout'");
        AssertError(messages, "Gateway:Passthrough:Routes:exchange:ClusterId", "cluster 'exch' does not exist");
        AssertError(messages, "Gateway:Passthrough:Routes:owa:Hosts:0", "already routed by passthrough route 'exchange'");
        AssertError(messages, "Gateway:Passthrough:Routes:owa:Hosts:1", "not a valid host name");
        AssertError(messages, "Gateway:Passthrough:Routes:owa:Hosts:2", "wildcards are allowed only as a leading");
        AssertError(messages, "Gateway:Passthrough:Clusters:exchange:Destinations:one:Address", "not \"host:port\"");
        AssertError(messages, "Gateway:Passthrough:Clusters:exchange:Destinations:two:Address", "not a port number");
        AssertError(messages, "Gateway:Passthrough:Clusters:exchange:IdleTimeout", "not a duration");
        AssertError(messages, "Gateway:Tls:MinProtocol", "not one of: Tls12, Tls13");
        AssertError(messages, "Gateway:Tls:Certificates:app.example:KeyPath", "required");
        Assert.Equal(14, messages.Count);
    }

    [Fact]
    public void Listeners_that_would_share_a_port_and_ids_shared_by_a_route_and_a_stream_are_refused()
    {
        Load(new()
        {
            ["Gateway:Listeners:Https"] = "0.0.0.0:8443",
            ["Gateway:Listeners:Http"] = "127.0.0.1:8080",
            ["Gateway:Listeners:Admin"] = "localhost:8080",
            ["Gateway:Passthrough:Clusters:c:Destinations:d:Address"] = "127.0.0.1:25",
            ["Gateway:Passthrough:Routes:smtp:Hosts:0"] = "smtp.test",
            ["Gateway:Passthrough:Routes:smtp:ClusterId"] = "c",
            ["Gateway:Passthrough:Streams:smtp:Listen"] = "127.0.0.1:25",
            ["Gateway:Passthrough:Streams:smtp:ClusterId"] = "c",
            ["Gateway:Passthrough:Streams:imap:Listen"] = "127.0.0.2:8443",
            ["Gateway:Passthrough:Streams:imap:ClusterId"] = "c",
            ["Gateway:Reload:CloseRemovedAfter"] = "60d",
        }, out var errors);

        var messages = errors.All.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Listeners:Admin", "clashes with Gateway:Listeners:Http");
        AssertError(messages, "Gateway:Passthrough:Streams:imap:Listen", "clashes with Gateway:Listeners:Https");
        AssertError(messages, "Gateway:Passthrough:Streams:smtp", "also a passthrough route id");
        AssertError(messages, "Gateway:Reload:CloseRemovedAfter", "out of range");
        Assert.Equal(4, messages.Count);
    }

    [Theory]
    [InlineData("00:00:05", 5_000)]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1.00:00:00", 86_400_000)]
    public void Durations_take_timespan_or_unit_forms(string text, int milliseconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5x")]
    [InlineData("-5s")]
    [InlineData("NaNs")]
    [InlineData("1e300d")]
    [InlineData("5")]
    [InlineData("1.5")]
    public void Bad_durations_are_refused(string text) => Assert.False(Duration.TryParse(text, out _));

    private static void AssertError(List<string> messages, string path, string fragment) =>
        Assert.True(messages.Any(m => m.StartsWith(path + ": ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", messages)}");

    private static Generation? Load(Dictionary<string, string?> values, out ConfigErrors errors) =>
        ConfigUnderTest.Read(values, "/etc/gateway", out errors);
}
