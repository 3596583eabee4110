using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class AcmeConfigTests
{
    [Fact]
    public void Acme_is_off_by_default_and_points_at_lets_encrypt_production_with_both_challenges()
    {
        var config = Load(new(), out var errors);

        Assert.False(errors.Any, string.Join("\n", errors.All));
        Assert.False(config!.Get<AcmeConfig>().Enabled);
        Assert.False(config!.Get<AcmeConfig>().AcceptTermsOfService);
        Assert.Equal(AcmeConfig.LetsEncrypt, config!.Get<AcmeConfig>().Directory);
        Assert.Equal([AcmeChallengeType.TlsAlpn01, AcmeChallengeType.Http01], config!.Get<AcmeConfig>().Challenges);
        Assert.Null(config!.Get<AcmeConfig>().RenewBefore);
    }

    [Fact]
    public void Staging_is_one_setting_away_and_the_rest_is_read()
    {
        var config = Load(new()
        {
            ["Gateway:Acme:Enabled"] = "true",
            ["Gateway:Acme:AcceptTermsOfService"] = "true",
            ["Gateway:Acme:Directory"] = "LetsEncryptStaging",
            ["Gateway:Acme:Email"] = "ops@example.com",
            ["Gateway:Acme:Challenges:0"] = "http-01",
            ["Gateway:Acme:Hosts:0"] = "Extra.Example.",
            ["Gateway:Acme:RenewBefore"] = "30d",
        }, out var errors);

        Assert.False(errors.Any, string.Join("\n", errors.All));
        Assert.Equal(AcmeConfig.LetsEncryptStaging, config!.Get<AcmeConfig>().Directory);
        Assert.Equal("ops@example.com", config!.Get<AcmeConfig>().Email);
        Assert.Equal([AcmeChallengeType.Http01], config!.Get<AcmeConfig>().Challenges);
        Assert.Equal(["extra.example"], config!.Get<AcmeConfig>().Hosts.Select(h => h.Value));
        Assert.Equal(TimeSpan.FromDays(30), config!.Get<AcmeConfig>().RenewBefore);
    }

    [Fact]
    public void Every_mistake_is_named_with_its_path()
    {
        Load(new()
        {
            ["Gateway:Listeners:Http"] = "off",
            ["Gateway:Acme:Enabled"] = "true",
            ["Gateway:Acme:Directory"] = "http://ca.example/dir",
            ["Gateway:Acme:DirectoryTrust"] = "missing-ca.pem",
            ["Gateway:Acme:Email"] = "Ops <ops@example.com>",
            ["Gateway:Acme:Challenges:0"] = "http-01",
            ["Gateway:Acme:Challenges:1"] = "dns-01",
            ["Gateway:Acme:Hosts:0"] = "*.example.com",
            ["Gateway:Acme:RenewBefore"] = "1m",
            ["Gateway:Acme:Staging"] = "true",
        }, out var errors);

        var messages = errors.All.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Acme:Directory", "not an https:// directory URL");
        AssertError(messages, "Gateway:Acme:DirectoryTrust", "does not exist");
        AssertError(messages, "Gateway:Acme:Email", "not an e-mail address");
        AssertError(messages, "Gateway:Acme:Challenges", "http-01 needs the HTTP listener");
        AssertError(messages, "Gateway:Acme:Challenges:1", "use \"tls-alpn-01\" and/or \"http-01\"");
        AssertError(messages, "Gateway:Acme:Hosts:0", "dns-01");
        AssertError(messages, "Gateway:Acme:RenewBefore", "out of range");
        AssertError(messages, "Gateway:Acme:Staging", "unknown key");
    }

    private static void AssertError(List<string> messages, string path, string fragment) =>
        Assert.True(messages.Any(m => m.StartsWith(path + ": ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", messages)}");

    private static Generation? Load(Dictionary<string, string?> values, out ConfigErrors errors) =>
        ConfigUnderTest.Read(values, "/etc/gateway", out errors);
}
