using Gateway.Configuration;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>Addresses in networks and passthrough hosts are taken only in the spelling that means one thing.</summary>
public sealed class AddressSpellingTests
{
    [Theory]
    [InlineData("0177.0.0.1")]
    [InlineData("0x7f.1")]
    [InlineData("127.1")]
    [InlineData("010.0.0.0/8")]
    [InlineData("10.0/8")]
    [InlineData("127.0.0.256")]
    public void An_octal_hex_or_short_ipv4_network_is_refused(string text)
    {
        var generation = ConfigUnderTest.Read(
            new Dictionary<string, string?> { ["Gateway:Listeners:Https"] = "127.0.0.1:0", ["Gateway:Admin:AllowedNetworks:0"] = text },
            "/",
            out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal("Gateway:Admin:AllowedNetworks:0", error.Path);
        Assert.Contains("four decimal numbers without leading zeros", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.0/8")]
    [InlineData("0.0.0.0/0")]
    [InlineData("::1")]
    [InlineData("2001:db8::/32")]
    public void A_plain_network_is_taken(string text) => Assert.True(Networks.TryParse(text, out _));

    [Fact]
    public void A_rule_with_an_octal_address_is_refused()
    {
        var generation = ConfigUnderTest.Read(
            new Dictionary<string, string?> { ["Gateway:Listeners:Https"] = "127.0.0.1:0", ["Gateway:ProxyProtocol:TrustedNetworks:0"] = "0177.0.0.1" },
            "/",
            out var errors);

        Assert.Null(generation);
        Assert.Equal("Gateway:ProxyProtocol:TrustedNetworks:0", Assert.Single(errors.All).Path);
    }

    [Fact]
    public void A_passthrough_host_written_as_an_ipv4_address_is_refused()
    {
        var generation = ConfigUnderTest.Read(
            new Dictionary<string, string?>
            {
                ["Gateway:Listeners:Https"] = "127.0.0.1:0",
                ["Gateway:Passthrough:Routes:r:Hosts:0"] = "127.0.0.1",
                ["Gateway:Passthrough:Routes:r:ClusterId"] = "c",
                ["Gateway:Passthrough:Clusters:c:Destinations:d:Address"] = "127.0.0.1:9",
            },
            "/",
            out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal("Gateway:Passthrough:Routes:r:Hosts:0", error.Path);
        Assert.Contains("never sends one as SNI", error.Message, StringComparison.Ordinal);
    }
}
