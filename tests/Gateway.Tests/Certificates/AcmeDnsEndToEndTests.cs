using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Certificates;

/// <summary>
/// dns-01 against a real authoritative server: BIND 9 takes the TSIG-signed updates (or a hook script's nsupdate),
/// and Pebble validates by asking it. Wildcard certificates are issued and served; the TXT record is gone afterwards.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class AcmeDnsEndToEndTests
{
    private const string Wildcard = "*." + Bind9.Zone;
    private const string ChallengeName = "_acme-challenge." + Bind9.Zone;

    [Fact]
    public async Task A_wildcard_route_gets_its_certificate_through_rfc2136_and_the_record_is_removed_afterwards()
    {
        await using var bind = await Bind9.StartAsync();
        // The zone's apex has no address the CA could reach: dns-01, chosen for it here, is its one way.
        await using var setup = await AcmeSetup.StartAsync(Wildcard, challenges: ["dns-01"], dnsServer: bind.EndPoint, dns: Rfc2136(bind, bind.Secret),
            probeHost: "app." + Bind9.Zone, moreHosts: [Bind9.Zone]);
        var root = await setup.Pebble.IssuingRootAsync();

        var served = await setup.WaitForIssuedAsync(root);
        Assert.Equal([Wildcard, Bind9.Zone], SubjectNames(served).Order(StringComparer.Ordinal));
        Assert.True((await AcmeSetup.HandshakeAsync(setup.Gateway.Https, Bind9.Zone, root)).Valid);
        // Any name under it gets the same certificate, and the route behind it answers.
        var other = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "Other." + Bind9.Zone, root);
        Assert.True(other.Valid);
        Assert.Equal(served.Thumbprint, other.Certificate!.Thumbprint);
        using var client = setup.CreateHttpsClient(root);
        Assert.StartsWith("app ", await client.GetStringAsync(new Uri($"https://www.{Bind9.Zone}:{setup.Gateway.Https.Port}/")), StringComparison.Ordinal);

        var folder = Assert.Single(Directory.GetDirectories(Path.Combine(setup.Directory, "certs", "acme")));
        Assert.Single(Directory.GetFiles(Path.Combine(folder, "certificates"), "_wildcard." + Bind9.Zone + "+*.pem"));

        Assert.Contains(setup.Logs.Entries, e => e.Event.Name == "AcmeDnsRecordPublished");
        // One record per authorization (the wildcard's and the apex's share the name), each removed.
        await Poll.UntilAsync(() => setup.Logs.Entries.Count(e => e.Event.Name == "AcmeDnsRecordRemoved") == 2, "both records' removal is logged");
        Assert.Empty(await bind.TxtAsync(ChallengeName));
        Assert.DoesNotContain(setup.Logs.Entries, e => e.Message.Contains(bind.Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_tsig_secret_is_named_no_certificate_is_issued_and_nothing_is_left_in_the_zone()
    {
        await using var bind = await Bind9.StartAsync();
        var wrong = Convert.ToBase64String(new byte[32]);
        await using var setup = await AcmeSetup.StartAsync(Wildcard, dnsServer: bind.EndPoint, dns: Rfc2136(bind, wrong), probeHost: "app." + Bind9.Zone);
        var manager = setup.Gateway.Services.GetRequiredService<AcmeCertificateManager>();

        await setup.WaitForStatusAsync(status => status is [{ Failures: 1 }], "the order failed");
        var error = manager.Status[0].LastError;
        Assert.Contains("BADSIG", error, StringComparison.Ordinal);
        Assert.Contains("TsigSecret", error, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error, StringComparison.Ordinal);
        // The removal is tried too (and fails the same way), logged as a warning, not thrown over the order's result.
        Assert.Contains(setup.Logs.Entries, e => e.Event.Name == "AcmeDnsCleanupFailed");
        Assert.Empty(await bind.TxtAsync(ChallengeName));
        var served = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "app." + Bind9.Zone, null);
        Assert.Contains("Gateway self-signed", served.Certificate!.Subject, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_exec_hook_publishes_through_nsupdate_and_is_called_present_then_cleanup()
    {
        await using var bind = await Bind9.StartAsync();
        var folder = Directory.CreateTempSubdirectory("gateway-hook-").FullName;
        try
        {
            var calls = Path.Combine(folder, "calls.txt");
            var hook = Path.Combine(folder, "hook.sh");
            // What a registrar script does, with nsupdate standing in for the registrar's API.
            await File.WriteAllTextAsync(hook, $$"""
                #!/bin/sh
                set -e
                echo "$1 $2 $3" >> '{{calls}}'
                case "$1" in
                  present) op=add; ttl=60 ;;
                  cleanup) op=delete; ttl= ;;
                  *) echo "unknown action $1" >&2; exit 2 ;;
                esac
                printf 'server 127.0.0.1 {{bind.EndPoint.Port}}\nzone {{Bind9.Zone}}\nupdate %s %s %s TXT "%s"\nsend\n' "$op" "$2" "$ttl" "$3" \
                  | nsupdate -k '{{bind.KeyFile}}'
                """.Replace("\r", "", StringComparison.Ordinal));
            File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var dns = new JsonObject
            {
                ["Provider"] = "Exec",
                ["Command"] = hook,
                ["PropagationServers"] = new JsonArray(bind.EndPoint.ToString()),
            };
            await using var setup = await AcmeSetup.StartAsync(Wildcard, dnsServer: bind.EndPoint, dns: dns, probeHost: "app." + Bind9.Zone);
            var root = await setup.Pebble.IssuingRootAsync();

            var served = await setup.WaitForIssuedAsync(root);
            Assert.Contains(Wildcard, SubjectNames(served));
            await Poll.UntilAsync(() => setup.Logs.Entries.Any(e => e.Event.Name == "AcmeDnsRecordRemoved"), "the record's removal is logged");
            var lines = await File.ReadAllLinesAsync(calls);
            Assert.Equal(2, lines.Length);
            Assert.StartsWith($"present {ChallengeName}. ", lines[0], StringComparison.Ordinal);
            Assert.Equal("cleanup" + lines[0]["present".Length..], lines[1]);
            Assert.Empty(await bind.TxtAsync(ChallengeName));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static JsonObject Rfc2136(Bind9 bind, string secret) => new()
    {
        ["Provider"] = "Rfc2136",
        ["Server"] = bind.EndPoint.ToString(),
        ["TsigKeyName"] = Bind9.KeyName,
        ["TsigAlgorithm"] = "hmac-sha256",
        ["TsigSecret"] = secret,
        // The zone's NS is ns1 on port 53, where nothing of this test listens: ask named where it is.
        ["PropagationServers"] = new JsonArray(bind.EndPoint.ToString()),
    };

    private static List<string> SubjectNames(X509Certificate2 certificate) =>
        [.. certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())];
}
