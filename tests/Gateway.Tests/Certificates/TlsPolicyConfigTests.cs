using System.Net.Security;
using System.Security.Authentication;
using Gateway.Certificates;
using Gateway.Configuration;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Certificates;

/// <summary>How <c>Gateway:Tls:Policy</c>, <c>CipherSuites</c>, <c>MinProtocol</c> and <c>AllowResumption</c> combine, and every refusal with its path.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TlsPolicyConfigTests
{
    [Fact]
    public void The_default_is_intermediate_over_tls_12_and_13_with_resumption_and_its_suites_kept_for_the_hellos_that_need_them()
    {
        var tls = Load([])!.Get<TlsConfig>();
        Assert.Equal(TlsPolicy.Intermediate, tls.Policy);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.True(tls.AllowResumption);

        // No list of Gateway's own, so .NET keeps one OpenSSL context per certificate; the intermediate list is for the
        // TLS 1.2 hellos .NET's own list could give a CBC suite.
        Assert.Null(tls.CipherSuites);
        Assert.Contains(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.StrictSuites!.AllowedCipherSuites);
        Assert.Contains(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.StrictSuites!.AllowedCipherSuites);
        Assert.DoesNotContain(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, tls.StrictSuites!.AllowedCipherSuites);
        Assert.DoesNotContain(TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256, tls.StrictSuites!.AllowedCipherSuites);

        Assert.Null(Load(new() { ["Gateway:Tls:Policy"] = "Platform" })!.Get<TlsConfig>().StrictSuites);
        Assert.Null(Load(new() { ["Gateway:Tls:Policy"] = "Modern" })!.Get<TlsConfig>().StrictSuites);
        Assert.False(Load(new() { ["Gateway:Tls:AllowResumption"] = "false" })!.Get<TlsConfig>().AllowResumption);

        // A list of the operator's own: a context per handshake, so no resumption unless asked for (and then refused).
        Assert.False(Load(new() { ["Gateway:Tls:CipherSuites"] = "ECDHE-RSA-AES128-GCM-SHA256" })!.Get<TlsConfig>().AllowResumption);
    }

    [Theory]
    [InlineData("Modern", null)]
    [InlineData("modern", "Tls13")]
    [InlineData("Intermediate", "Tls13")]
    public void Tls_13_alone_keeps_openssls_own_suites_so_resumption_can_work(string policy, string? minProtocol)
    {
        var settings = new Dictionary<string, string?> { ["Gateway:Tls:Policy"] = policy, ["Gateway:Tls:AllowResumption"] = "true" };
        if (minProtocol is not null)
        {
            settings["Gateway:Tls:MinProtocol"] = minProtocol;
        }

        var tls = Load(settings)!.Get<TlsConfig>();
        Assert.Equal(SslProtocols.Tls13, tls.Protocols);
        Assert.Null(tls.CipherSuites);
    }

    [Fact]
    public void A_list_takes_both_spellings_and_one_string_and_its_versions_follow_the_suites()
    {
        var only12 = Load(new() { ["Gateway:Tls:CipherSuites"] = " ECDHE-RSA-AES128-GCM-SHA256 : tls_ecdhe_ecdsa_with_aes_256_gcm_sha384,ECDHE-RSA-AES128-GCM-SHA256" })!.Get<TlsConfig>();
        Assert.Equal(SslProtocols.Tls12, only12.Protocols);
        Assert.Equal([TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384], only12.CipherSuites!.AllowedCipherSuites);

        var only13 = Load(new() { ["Gateway:Tls:CipherSuites:0"] = "TLS_AES_256_GCM_SHA384" })!.Get<TlsConfig>();
        Assert.Equal(SslProtocols.Tls13, only13.Protocols);
    }

    [Fact]
    public void Every_contradiction_and_unknown_name_is_refused_with_its_path()
    {
        var messages = Errors(new()
        {
            ["Gateway:Tls:CipherSuites:0"] = "ECDHE-RSA-AES128-CBC-SHA",
            ["Gateway:Tls:CipherSuites:1"] = "49199",
            ["Gateway:Tls:CipherSuites:2"] = "TLS_NULL_WITH_NULL_NULL",
            ["Gateway:Tls:CipherSuites:3"] = "TLS_AES_128_GCM_SHA256",
            ["Gateway:Tls:Policy"] = "Modern",
        });
        AssertError(messages, "Gateway:Tls:CipherSuites:0", "'ECDHE-RSA-AES128-CBC-SHA' is not a cipher suite name");
        AssertError(messages, "Gateway:Tls:CipherSuites:1", "'49199' is not a cipher suite name");
        AssertError(messages, "Gateway:Tls:CipherSuites:2", "not a suite this machine's OpenSSL can negotiate");
        AssertError(messages, "Gateway:Tls:Policy", "either Policy or CipherSuites");
        Assert.Equal(4, messages.Count);

        AssertError(Errors(new() { ["Gateway:Tls:Policy"] = "Modern", ["Gateway:Tls:MinProtocol"] = "Tls12" }), "Gateway:Tls:MinProtocol", "Policy Modern is TLS 1.3 only");
        AssertError(Errors(new() { ["Gateway:Tls:Policy"] = "Old" }), "Gateway:Tls:Policy", "not one of: Intermediate, Modern, Platform");
        AssertError(Errors(new() { ["Gateway:Tls:MinProtocol"] = "Tls13", ["Gateway:Tls:CipherSuites"] = "ECDHE-RSA-AES128-GCM-SHA256" }), "Gateway:Tls:CipherSuites", "lists no TLS 1.3 suite");
        AssertError(Errors(new() { ["Gateway:Tls:MinProtocol"] = "Tls13", ["Gateway:Tls:CipherSuites"] = "ECDHE-RSA-AES128-GCM-SHA256 TLS_AES_128_GCM_SHA256" }), "Gateway:Tls:CipherSuites", "would never be offered");
        AssertError(Errors(new() { ["Gateway:Tls:AllowResumption"] = "true", ["Gateway:Tls:CipherSuites"] = "TLS_AES_128_GCM_SHA256" }), "Gateway:Tls:AllowResumption", "sessions cannot be resumed");
        AssertError(Errors(new() { ["Gateway:Tls:CipherSuite"] = "x" }), "Gateway:Tls:CipherSuite", "did you mean");
        Assert.False(Load(new() { ["Gateway:Tls:AllowResumption"] = "true", ["Gateway:Tls:Policy"] = "Platform" }) is null);
    }

    [Fact]
    public async Task Resumption_switched_off_says_what_it_costs()
    {
        var off = await ConfigUnderTest.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Tls:AllowResumption"] = "false" }).Build(), "/etc/gateway");
        Assert.Contains(off.Warnings, w => w.Path == "Gateway:Tls:AllowResumption" && w.Message.Contains("returning clients cannot resume", StringComparison.Ordinal));

        var byDefault = await ConfigUnderTest.BuildAsync(new ConfigurationBuilder().AddInMemoryCollection([]).Build(), "/etc/gateway");
        Assert.DoesNotContain(byDefault.Warnings, w => w.Path == "Gateway:Tls:AllowResumption");
    }

    private static List<string> Errors(Dictionary<string, string?> values)
    {
        Load(values, out var errors);
        return [.. errors.All.Select(e => e.ToString())];
    }

    private static void AssertError(List<string> messages, string path, string fragment) =>
        Assert.True(messages.Any(m => m.StartsWith(path + ": ", StringComparison.Ordinal) && m.Contains(fragment, StringComparison.Ordinal)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", messages)}");

    private static Generation? Load(Dictionary<string, string?> values) => Load(values, out _);

    private static Generation? Load(Dictionary<string, string?> values, out ConfigErrors errors) =>
        ConfigUnderTest.Read(values, "/etc/gateway", out errors);
}
