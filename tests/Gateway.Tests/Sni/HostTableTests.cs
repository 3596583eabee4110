using Gateway.Configuration;

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

    [Theory]
    [InlineData("exchange.example..")]
    [InlineData("exchange.example...")]
    [InlineData(".exchange.example")]
    [InlineData("exchange..example")]
    [InlineData("x..dag.example")]
    [InlineData("a..example")]
    [InlineData("..example")]
    [InlineData(".")]
    [InlineData("exchange.example:443")]
    [InlineData("exchange.example/")]
    [InlineData("exchange.example%2e")]
    [InlineData("exchange.example\\u002e")]
    [InlineData("user@exchange.example")]
    [InlineData("exchange.example\\0")]
    [InlineData("exchange。example")]
    [InlineData("[::1]")]
    [InlineData("::ffff:127.0.0.1")]
    public void What_is_not_a_host_name_matches_nothing(string host) => Assert.Null(Table.Match(host));

    [Theory]
    [InlineData(63, true)]
    [InlineData(64, false)]
    public void A_label_over_63_characters_matches_nothing(int length, bool matches)
    {
        var host = new string('a', length) + ".example";

        Assert.Equal(matches ? "*.example" : null, Table.Match(host));
    }

    [Fact]
    public void A_name_over_253_characters_matches_nothing()
    {
        var longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 53) + ".example";
        Assert.Equal(253, longest.Length);

        Assert.Equal("*.example", Table.Match(longest));
        Assert.Equal("*.example", Table.Match(longest + "."));
        Assert.Null(Table.Match("c" + longest));
    }

    [Theory]
    [InlineData("127.2.3.4")]
    [InlineData("127.10.0.1.")]
    [InlineData("127.1")]
    [InlineData("0x7f.1")]
    [InlineData("0X7F.0.0.1")]
    [InlineData("4.10")]
    [InlineData("a.0x")]
    public void An_address_literal_is_never_matched_by_a_wildcard(string host)
    {
        var table = Build("*.1", "*.0.1", "*.3.4", "*.10", "*.0x", "*.example");

        Assert.Null(table.Match(host));
    }

    [Fact]
    public void An_address_can_be_a_configured_exact_name()
    {
        // An L7 route for the Host header "127.0.2.1" (an SNI of an address is refused before any lookup).
        var table = Build("127.0.2.1");

        Assert.Equal("127.0.2.1", table.Match("127.0.2.1"));
        Assert.Null(table.Match("127.0.2.1.."));
    }

    [Theory]
    [InlineData("exchange.example..")]
    [InlineData(".exchange.example")]
    [InlineData("a..example")]
    public void A_configured_name_with_an_empty_label_is_an_error(string host) => Assert.False(HostPattern.TryParse(host, out _, out _));

    private static HostTable<string> Build(params string[] patterns) => new(patterns.Select(p =>
    {
        Assert.True(HostPattern.TryParse(p, out var pattern, out var error), error);
        return KeyValuePair.Create(pattern, p);
    }));
}
