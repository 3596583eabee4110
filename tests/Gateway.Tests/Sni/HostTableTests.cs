using Gateway.Configuration;
using Gateway.Sni;

namespace Gateway.Tests.Sni;

public sealed class HostTableTests
{
    private static readonly HostTable<string> Table = Build("exchange.example", "*.example", "*.dag.example", "mail01.dag.example");

    [Theory]
    [InlineData("exchange.example", "exchange.example")]
    [InlineData("EXCHANGE.Example", "exchange.example")]
    [InlineData("exchange.example.", "exchange.example")]
    [InlineData("mail01.dag.example", "mail01.dag.example")]
    [InlineData("mail02.dag.example", "*.dag.example")]
    [InlineData("a.b.dag.example", "*.dag.example")]
    [InlineData("other.example", "*.example")]
    [InlineData("dag.example", "*.example")]
    public void Exact_names_win_then_the_longest_wildcard(string host, string expected) => Assert.Equal(expected, Table.Match(host));

    [Theory]
    [InlineData("app.example", "app.example")]
    [InlineData("app.example:8443", "app.example")]
    [InlineData("*.example:443", "*.example")]
    [InlineData("[::1]:443", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    public void A_route_host_loses_its_port_not_its_address(string host, string expected) => Assert.Equal(expected, HostPattern.WithoutPort(host));

    [Theory]
    [InlineData("example")]
    [InlineData("example.")]
    [InlineData(".example")]
    [InlineData("exchange.example.org")]
    [InlineData("")]
    [InlineData(null)]
    public void Wildcards_never_match_the_bare_domain_or_strangers(string? host) => Assert.Null(Table.Match(host));

    private static HostTable<string> Build(params string[] patterns) => new(patterns.Select(p =>
    {
        Assert.True(HostPattern.TryParse(p, out var pattern, out var error), error);
        return KeyValuePair.Create(pattern, p);
    }));
}
