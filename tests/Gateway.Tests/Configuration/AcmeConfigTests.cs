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
            ["Gateway:Acme:Challenges:1"] = "dns-02",
            ["Gateway:Acme:Hosts:0"] = "*.example.com",
            ["Gateway:Acme:RenewBefore"] = "1m",
            ["Gateway:Acme:Staging"] = "true",
        }, out var errors);

        var messages = errors.All.Select(e => e.ToString()).ToList();
        AssertError(messages, "Gateway:Acme:Directory", "not an https:// directory URL");
        AssertError(messages, "Gateway:Acme:DirectoryTrust", "does not exist");
        AssertError(messages, "Gateway:Acme:Email", "not an e-mail address");
        AssertError(messages, "Gateway:Acme:Challenges", "http-01 needs the HTTP listener");
        AssertError(messages, "Gateway:Acme:Challenges:1", "use \"tls-alpn-01\", \"http-01\" and/or \"dns-01\"");
        AssertError(messages, "Gateway:Acme:Hosts:0", "dns-01");
        AssertError(messages, "Gateway:Acme:RenewBefore", "out of range");
        AssertError(messages, "Gateway:Acme:Staging", "unknown key");
    }

    [Fact]
    public void An_rfc2136_provider_takes_the_key_file_tsig_keygen_writes_and_admits_wildcard_hosts()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-dns-config-").FullName;
        try
        {
            var secret = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
            File.WriteAllText(Path.Combine(folder, "acme.key"), $"key \"acme\" {{\n\talgorithm hmac-sha512;\n\tsecret \"{secret}\";\n}};\n");
            var config = ConfigUnderTest.Read(new Dictionary<string, string?>
            {
                ["Gateway:Acme:Challenges:0"] = "dns-01",
                ["Gateway:Acme:Hosts:0"] = "*.Wild.Example",
                ["Gateway:Acme:Dns:Provider"] = "rfc2136",
                ["Gateway:Acme:Dns:Server"] = "[::1]",
                ["Gateway:Acme:Dns:TsigKeyName"] = "acme",
                ["Gateway:Acme:Dns:TsigAlgorithm"] = "HMAC-SHA512",
                ["Gateway:Acme:Dns:TsigSecretFile"] = "acme.key",
                ["Gateway:Acme:Dns:Zone"] = "wild.example.",
            }, folder, out var errors);

            Assert.False(errors.Any, string.Join("\n", errors.All));
            var acme = config!.Get<AcmeConfig>();
            Assert.Equal([AcmeChallengeType.Dns01], acme.Challenges);
            Assert.Equal(["*.wild.example"], acme.Hosts.Select(h => h.Value));
            var dns = acme.Dns!;
            Assert.Equal(AcmeDnsProviderKind.Rfc2136, dns.Provider);
            Assert.Equal(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 53), dns.Server);
            Assert.Equal("hmac-sha512", dns.TsigAlgorithm);
            Assert.Equal(Convert.FromBase64String(secret), dns.TsigSecret);
            Assert.Equal("wild.example", dns.Zone);
            Assert.Equal(TimeSpan.FromMinutes(2), dns.PropagationTimeout);
            Assert.DoesNotContain(secret, dns.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertError(List<string> messages, string path, string fragment) =>
        Assert.True(messages.Any(m => m.StartsWith(path + ": ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", messages)}");

    private static Generation? Load(Dictionary<string, string?> values, out ConfigErrors errors) =>
        ConfigUnderTest.Read(values, "/etc/gateway", out errors);
}
