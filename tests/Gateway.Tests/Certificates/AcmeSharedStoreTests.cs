using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>
/// One gateway and files another instance would write into the shared store: challenge answers it serves (and every
/// path that tries to reach beyond them), certificates it picks up, and files it refuses to serve.
/// </summary>
public sealed class AcmeSharedStoreTests
{
    private const string Token = "Zm9vYmFy_-0123456789abcdefghijklmnopqrstuv";

    [Fact]
    public async Task An_http_01_answer_another_instance_published_is_served_and_no_other_file_can_be_reached()
    {
        await using var gateway = await TestGateway.StartAsync();
        var root = AcmeStorage.RootOf(Path.Combine(gateway.Directory, "certs"), AcmeConfig.LetsEncrypt);
        var http01 = Directory.CreateDirectory(Path.Combine(root, "challenges", "http-01")).FullName;
        await File.WriteAllTextAsync(Path.Combine(http01, Token), Token + ".thumbprint");
        // What a path escaping the challenge folder would find.
        await File.WriteAllTextAsync(Path.Combine(root, "challenges", "secret"), "SECRET");
        await File.WriteAllTextAsync(Path.Combine(root, "account.key.pem"), "-----BEGIN PRIVATE KEY-----SECRET");
        await File.WriteAllTextAsync(Path.Combine(http01, "dotted.name"), "SECRET");

        var (status, body) = await GetAsync(gateway.Http, "/.well-known/acme-challenge/" + Token);
        Assert.Equal(200, status);
        Assert.EndsWith(Token + ".thumbprint", body, StringComparison.Ordinal);

        string[] attacks =
        [
            "/.well-known/acme-challenge/../secret",
            "/.well-known/acme-challenge/../../account.key.pem",
            "/.well-known/acme-challenge/..%2Fsecret",
            "/.well-known/acme-challenge/..%2F..%2Faccount.key.pem",
            "/.well-known/acme-challenge/%2E%2E%2Fsecret",
            "/.well-known/acme-challenge/%252E%252E%252Fsecret",
            "/.well-known/acme-challenge/..\\secret",
            "/.well-known/acme-challenge/dotted.name",
            "/.well-known/acme-challenge/" + Token + "%00",
            "/.well-known/acme-challenge/" + Token + "/",
            "/.well-known/acme-challenge/" + Token + "%20",
            "/.well-known/acme-challenge/" + Token.ToUpperInvariant(),
            "/.well-known/acme-challenge/",
            "/.well-known/acme-challenge/" + new string('A', 4000),
            "/.well-known/acme-challenge/ZÃ©",
        ];
        foreach (var path in attacks)
        {
            (status, body) = await GetAsync(gateway.Http, path);
            Assert.True(status != 200 && !body.Contains("SECRET", StringComparison.Ordinal), $"{path}: {status} {body}");
        }

        // Once the publishing instance removes its answer, nobody serves it (a cached answer stands only while its file does).
        File.Delete(Path.Combine(http01, Token));
        (status, _) = await GetAsync(gateway.Http, "/.well-known/acme-challenge/" + Token);
        Assert.Equal(308, status);
    }

    [Fact]
    public async Task A_tls_alpn_01_answer_another_instance_published_is_presented_for_its_host_only()
    {
        await using var gateway = await TestGateway.StartAsync();
        var root = AcmeStorage.RootOf(Path.Combine(gateway.Directory, "certs"), AcmeConfig.LetsEncrypt);
        var folder = Directory.CreateDirectory(Path.Combine(root, "challenges", "tls-alpn-01")).FullName;
        using var answer = TlsAlpnChallengeCertificate.Create("alpn.example", "token.thumbprint", DateTimeOffset.UtcNow);
        using var key = answer.GetECDsaPrivateKey()!;
        await File.WriteAllTextAsync(Path.Combine(folder, "alpn.example.pem"), answer.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());

        var (certificate, protocol) = await ChallengeHandshakeAsync(gateway.Https, "ALPN.example");
        Assert.Equal(answer.Thumbprint, certificate!.Thumbprint);
        Assert.Equal(TlsAlpnChallengeCertificate.ProtocolName, protocol);

        // Another host, or a name that is not one, gets no answer from the store.
        (certificate, _) = await ChallengeHandshakeAsync(gateway.Https, "other.example");
        Assert.NotEqual(answer.Thumbprint, certificate?.Thumbprint);
    }

    [Fact]
    public async Task A_certificate_another_instance_stores_is_served_within_seconds_and_a_broken_or_expired_file_never_replaces_it()
    {
        var logs = new CapturedLogs();
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(null, null));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var folder = Path.Combine(AcmeStorage.RootOf(Path.Combine(directory, "certs"), AcmeConfig.LetsEncrypt), "certificates");
        var path = Path.Combine(folder, "picked.example.pem");

        var stored = TestCertificates.Get("picked.example");
        await WriteAsync(path, await File.ReadAllTextAsync(stored.CertificatePath) + "\n" + await File.ReadAllTextAsync(stored.KeyPath));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await AcmeSetup.HandshakeAsync(gateway.Https, "picked.example", null)).Certificate?.Thumbprint != stored.Thumbprint)
        {
            Assert.True(DateTime.UtcNow < deadline, "the stored certificate is not served; logged: " + string.Join("\n", logs.Entries.Select(e => $"{e.Level} {e.Message} {e.Error}")));
            await Task.Delay(50);
        }

        // A copy cut short (the key missing), then one that expired: logged, and the served certificate stays.
        var other = TestCertificates.Get("picked.example.again");
        await WriteAsync(path, await File.ReadAllTextAsync(other.CertificatePath));
        await Poll.UntilAsync(() => logs.Entries.Any(e => e.Event.Name == "AcmeUnreadable"), "the broken file is reported", TimeSpan.FromSeconds(20));
        Assert.Equal(stored.Thumbprint, (await AcmeSetup.HandshakeAsync(gateway.Https, "picked.example", null)).Certificate!.Thumbprint);

        using var expiredKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=picked.example", expiredKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("picked.example");
        request.CertificateExtensions.Add(names.Build());
        using var expired = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        await WriteAsync(path, expired.ExportCertificatePem() + "\n" + expiredKey.ExportPkcs8PrivateKeyPem());
        await Poll.UntilAsync(() => logs.Entries.Any(e => e.Event.Name == "AcmeStoredRefused"), "the expired file is refused", TimeSpan.FromSeconds(20));
        Assert.Equal(stored.Thumbprint, (await AcmeSetup.HandshakeAsync(gateway.Https, "picked.example", null)).Certificate!.Thumbprint);
    }

    [Fact]
    public async Task A_host_set_whose_lock_another_instance_holds_is_not_ordered_here_and_stats_name_the_holder()
    {
        using var down = new ClosedPort(); // no CA: an order started here would show as a failure
        var directoryUrl = new Uri($"https://{down.Address}/dir");
        var directory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        var locks = Directory.CreateDirectory(Path.Combine(AcmeStorage.RootOf(Path.Combine(directory, "certs"), directoryUrl), "locks")).FullName;
        var now = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(Path.Combine(locks, "held.example.0.lock"),
            $$"""{"owner":"other:42:abcdef","acquired":"{{now:O}}","expires":"{{now.AddHours(1):O}}","released":false}""");
        var gateway = new System.Text.Json.Nodes.JsonObject
        {
            ["Acme"] = new System.Text.Json.Nodes.JsonObject { ["Enabled"] = true, ["AcceptTermsOfService"] = true, ["Directory"] = directoryUrl.ToString() },
        };
        var proxy = System.Text.Json.Nodes.JsonNode.Parse("""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ "held.example" ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "d1": { "Address": "http://127.0.0.1:9/" } } } }
            }
            """)!.AsObject();
        var config = System.Text.Json.Nodes.JsonNode.Parse(TestGateway.Compose(gateway, proxy))!;
        config["Logging"]!["LogLevel"]!["Gateway"] = "Information";
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), config.ToJsonString());
        var logs = new CapturedLogs();
        // A set without a certificate is due at once, whichever reading of the clock asks (seen: due "later" than the
        // reading it was compared with, the set passed over and the manager spinning, in busy runs only).
        await using var running = await TestGateway.StartInAsync(directory, new AdvancingClock(), logs);

        using var admin = new HttpClient();
        System.Text.Json.Nodes.JsonNode? order = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var stats = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync(new Uri($"http://{running.Admin}/stats.json")))!;
            order = stats["acme"]!.AsArray().SingleOrDefault();
            // The manager has looked at the set (and said whose lock it found) after the listeners started.
            if ((string?)order?["lockHeldBy"] == "other:42:abcdef" && logs.Entries.Any(e => e.Event.Name == "AcmeLockHeldElsewhere"))
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/stats.json: {order?.ToJsonString()}; logged: " + string.Join("\n", logs.Entries.Select(e => $"{e.Event.Name} {e.Message}")));
            await Task.Delay(100);
        }
        Assert.Equal("ordering elsewhere", (string?)order!["state"]);
        Assert.Equal(0, (int)order["failures"]!);

        // The page says it too, beside which instance this is.
        var page = await admin.GetStringAsync(new Uri($"http://{running.Admin}/stats"));
        Assert.Contains("<td>other:42:abcdef</td>", page, StringComparison.Ordinal);
        Assert.Contains("This instance: " + System.Net.WebUtility.HtmlEncode((string?)System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync(new Uri($"http://{running.Admin}/stats.json")))!["acmeInstance"]), page, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Event.Name is "AcmeOrdering" or "AcmeFailed");
    }

    [Fact]
    public void A_stored_certificate_must_cover_the_hosts_its_file_stands_for_and_be_current()
    {
        var certificate = StoredCertificate.From(Gateway.Certificates.PemCertificate.Create(
            File.ReadAllText(TestCertificates.Get("one.example").CertificatePath), File.ReadAllText(TestCertificates.Get("one.example").KeyPath)));
        var now = DateTimeOffset.UtcNow;

        Assert.Null(AcmeCertificateManager.Acceptable(certificate, ["one.example"], now));
        Assert.Null(AcmeCertificateManager.Acceptable(certificate, null, now));
        Assert.Contains("two.example", AcmeCertificateManager.Acceptable(certificate, ["one.example", "two.example"], now), StringComparison.Ordinal);
        Assert.Contains("expired", AcmeCertificateManager.Acceptable(certificate, ["one.example"], certificate.NotAfter), StringComparison.Ordinal);
        Assert.Contains("not valid before", AcmeCertificateManager.Acceptable(certificate, ["one.example"], certificate.NotBefore.AddDays(-1)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_self_signed_pair_that_instances_starting_together_mixed_up_is_made_again_not_fatal()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-fallback-").FullName;
        // One instance's certificate beside another's key.
        File.Copy(TestCertificates.Get("one.example").CertificatePath, Path.Combine(folder, Gateway.Certificates.SelfSignedCertificate.CertificateFileName));
        File.Copy(TestCertificates.Get("two.example").KeyPath, Path.Combine(folder, Gateway.Certificates.SelfSignedCertificate.KeyFileName));

        var context = Gateway.Certificates.SelfSignedCertificate.LoadOrCreate(folder, TimeProvider.System);

        Assert.Contains("Gateway self-signed", context.TargetCertificate.Subject, StringComparison.Ordinal);
        Assert.Equal(context.TargetCertificate.Thumbprint, Gateway.Certificates.SelfSignedCertificate.LoadOrCreate(folder, TimeProvider.System).TargetCertificate.Thumbprint);
    }

    /// <summary>As an instance stores a file: a temporary name, then a rename.</summary>
    private static async Task WriteAsync(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path + ".new.tmp", content);
        File.Move(path + ".new.tmp", path, overwrite: true);
    }

    /// <summary>A request sent byte for byte as written (no client normalizes the path); the status and body.</summary>
    private static async Task<(int Status, string Body)> GetAsync(IPEndPoint http, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(http);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes($"GET {path} HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.Latin1);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var status = int.Parse(response.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var split = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, split < 0 ? "" : response[(split + 4)..]);
    }

    private static async Task<(X509Certificate2? Certificate, string Protocol)> ChallengeHandshakeAsync(IPEndPoint https, string host)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(https);
        await using var tls = new SslStream(tcp.GetStream());
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = [new SslApplicationProtocol(TlsAlpnChallengeCertificate.ProtocolName)],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException)
        {
            return (null, "");
        }

        return (tls.RemoteCertificate is null ? null : new X509Certificate2(tls.RemoteCertificate), tls.NegotiatedApplicationProtocol.ToString());
    }
}
