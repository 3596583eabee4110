using System.Net;
using Gateway.Configuration;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Access;

public sealed class AccessRulesTests
{
    [Theory]
    [InlineData("127.0.2.10", true)]
    [InlineData("127.0.2.66", false)]
    [InlineData("127.0.9.7", true)]
    [InlineData("127.0.5.1", false)]
    [InlineData("::ffff:127.0.2.10", true)]
    [InlineData("::1", true)]
    public void The_first_matching_rule_decides_and_an_allowlist_denies_the_rest(string client, bool allowed)
    {
        var rules = Read("deny 127.0.2.64/26", "allow 127.0.2.0/24", "allow 127.0.9.7", "allow ::1/128");

        Assert.Equal(allowed, rules.Allows(IPAddress.Parse(client)));
    }

    [Fact]
    public void A_list_of_denials_is_a_blocklist()
    {
        var rules = Read("deny 127.0.5.0/24");

        Assert.False(rules.Allows(IPAddress.Parse("127.0.5.9")));
        Assert.True(rules.Allows(IPAddress.Parse("127.0.2.1")));
        Assert.False(Read("deny all").Allows(IPAddress.Parse("127.0.2.1")));
        Assert.True(Read("allow all", "deny 127.0.2.1").Allows(IPAddress.Parse("127.0.2.1")));
    }

    [Theory]
    [InlineData("permit 127.0.0.0/8")]
    [InlineData("allow")]
    [InlineData("allow 127.0.0.1/8")]
    [InlineData("deny everyone")]
    public void A_bad_rule_is_reported_with_its_path(string rule)
    {
        var errors = new ConfigErrors();
        AccessRules.Read(Section(rule), errors);

        var error = Assert.Single(errors.All);
        Assert.Equal("Access:0", error.Path);
        Assert.Contains("deny all", error.Message, StringComparison.Ordinal);
    }

    private static AccessRules Read(params string[] rules)
    {
        var errors = new ConfigErrors();
        var read = AccessRules.Read(Section(rules), errors);
        Assert.Empty(errors.All);
        return read;
    }

    private static IConfigurationSection Section(params string[] rules) =>
        new ConfigurationBuilder().AddInMemoryCollection(rules.Select((r, i) => KeyValuePair.Create($"Access:{i}", (string?)r))).Build().GetSection("Access");
}
