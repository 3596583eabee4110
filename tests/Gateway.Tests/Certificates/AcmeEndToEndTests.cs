using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Certificates;

/// <summary>ACME against a real Pebble: orders through both challenges, storage across restarts, renewal, failure and backoff.</summary>
/// <remarks>Alone, after the rest: an order is a dozen round trips to a CA process, and each wait below is on them.</remarks>
[Collection(SerialTests.Name)]
public sealed class AcmeEndToEndTests
{
    [Fact]
    public async Task A_route_host_gets_a_certificate_through_tls_alpn_01()
    {
        // The HTTP listener is off, so tls-alpn-01 is the only way this order can succeed.
        await using var setup = await AcmeSetup.StartAsync("alpn.gateway.test", httpListener: false);
        var root = await setup.Pebble.IssuingRootAsync();

        var served = await setup.WaitForIssuedAsync(root);
        Assert.Contains("alpn.gateway.test", served.GetNameInfo(X509NameType.DnsName, false), StringComparison.Ordinal);

        var folder = Assert.Single(Directory.GetDirectories(Path.Combine(setup.Directory, "certs", "acme")));
        // Chain and key in one file, so a crash can never pair a chain with another certificate's key.
        var stored = Path.Combine(folder, "certificates", "alpn.gateway.test.pem");
        Assert.True(File.Exists(stored));
        Assert.Contains("PRIVATE KEY-----", await File.ReadAllTextAsync(stored), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stored));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "account.key.pem")));
        }

        // And the host is proxied over it.
        using var client = setup.CreateHttpsClient(root);
        Assert.StartsWith("app ", await client.GetStringAsync(new Uri($"https://alpn.gateway.test:{setup.Gateway.Https.Port}/")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_host_gets_a_certificate_through_http_01()
    {
        await using var setup = await AcmeSetup.StartAsync("http.gateway.test", challenges: ["http-01"]);
        var root = await setup.Pebble.IssuingRootAsync();

        await setup.WaitForIssuedAsync(root);

        // Tokens the gateway did not issue still get the redirect (a backend's own ACME client keeps working).
        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var response = await plain.GetAsync(new Uri($"http://127.0.0.1:{setup.Gateway.Http.Port}/.well-known/acme-challenge/unknown"));
        Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode);
    }

    [Fact]
    public async Task A_restarted_gateway_serves_the_stored_certificate_without_ordering_again()
    {
        var setup = await AcmeSetup.StartAsync("restart.gateway.test");
        X509Certificate2 issued;
        X509Certificate2 root;
        await using (setup)
        {
            root = await setup.Pebble.IssuingRootAsync();
            issued = await setup.WaitForIssuedAsync(root);
            await setup.Gateway.DisposeAsync();

            // Pebble stays up: a second order would succeed, so only the absence of one proves the store was used.
            var logs = new CapturedLogs();
            await using var restarted = await TestGateway.StartInAsync(setup.Directory, null, logs);
            var served = await AcmeSetup.HandshakeAsync(restarted.Https, "restart.gateway.test", root);
            Assert.Equal(issued.Thumbprint, served.Certificate!.Thumbprint);
            Assert.True(served.Valid);

            var manager = restarted.Services.GetRequiredService<AcmeCertificateManager>();
            await Poll.UntilAsync(() => manager.Status.Count == 1, "the host set is tracked", AcmeSetup.Patience);
            // An order starts (and is logged) in the same pass that tracks the set; the delay only leaves room for a wrong one.
            await Task.Delay(500);
            var status = Assert.Single(manager.Status);
            Assert.Null(status.LastAttempt);
            Assert.False(status.Ordering);
            Assert.DoesNotContain(logs.Entries, e => e.Event.Name == "AcmeOrdering");
        }
    }

    [Fact]
    public async Task Renewal_happens_when_the_clock_reaches_a_third_of_the_lifetime_left()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var setup = await AcmeSetup.StartAsync("renew.gateway.test", time: clock);
        var root = await setup.Pebble.IssuingRootAsync();

        X509Certificate2 first;
        await using (new ClockPump(clock))
        {
            first = await setup.WaitForIssuedAsync(root);
        }

        // Before the renewal point nothing happens; past it, a new certificate replaces the old one.
        // No pump runs here, so a wrong renewal could not finish: what would show it is an order being started.
        var manager = setup.Gateway.Services.GetRequiredService<AcmeCertificateManager>();
        var ordersSoFar = setup.OrderingCount;
        var lifetime = first.NotAfter - first.NotBefore;
        clock.Advance(lifetime / 2);
        await Task.Delay(300);
        Assert.Equal(ordersSoFar, setup.OrderingCount);
        Assert.False(Assert.Single(manager.Status).Ordering);
        Assert.Equal(first.Thumbprint, (await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "renew.gateway.test", root)).Certificate!.Thumbprint);

        clock.Advance(lifetime / 5);
        await using (new ClockPump(clock))
        {
            await Poll.UntilAsync(async () =>
            {
                var served = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "renew.gateway.test", root);
                return served.Valid && served.Certificate!.Thumbprint != first.Thumbprint;
            }, AcmeSetup.Patience, "the renewed certificate is served");
        }
    }

    [Fact]
    public async Task A_ca_that_is_down_leaves_the_fallback_serving_and_is_retried_with_growing_backoff()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var down = new ClosedPort(); // held bound, so no parallel test can start listening there
        await using var setup = await AcmeSetup.StartAsync("down.gateway.test", time: clock, directory: $"https://{down.Address}/dir");
        var manager = setup.Gateway.Services.GetRequiredService<AcmeCertificateManager>();

        await setup.WaitForStatusAsync(status => status is [{ Failures: 1 }], "the first attempt failed");
        var first = manager.Status[0];
        var firstWait = first.NotBefore - first.LastAttempt!.Value;
        Assert.InRange(firstWait, TimeSpan.FromSeconds(47), TimeSpan.FromSeconds(73));
        var served = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "down.gateway.test", null);
        Assert.Contains("Gateway self-signed", served.Certificate!.Subject, StringComparison.Ordinal);

        // No retry before the backoff ends...
        await Task.Delay(500);
        Assert.Equal(1, manager.Status[0].Failures);

        // ...one after it, with a longer wait next time.
        clock.Advance(firstWait + TimeSpan.FromSeconds(1));
        await setup.WaitForStatusAsync(status => status is [{ Failures: 2 }], "the second attempt failed");
        var second = manager.Status[0];
        Assert.InRange(second.NotBefore - second.LastAttempt!.Value, TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(145));
        served = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, "down.gateway.test", null);
        Assert.Contains("Gateway self-signed", served.Certificate!.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_the_ca_refuses_keeps_the_fallback_and_shows_the_ca_problem()
    {
        await using var setup = await AcmeSetup.StartAsync(Pebble.BlockedHost);
        var manager = setup.Gateway.Services.GetRequiredService<AcmeCertificateManager>();

        await setup.WaitForStatusAsync(status => status is [{ Failures: 1 }], "the order failed");
        Assert.Contains("rejectedIdentifier", manager.Status[0].LastError, StringComparison.Ordinal);
        var served = await AcmeSetup.HandshakeAsync(setup.Gateway.Https, Pebble.BlockedHost, null);
        Assert.Contains("Gateway self-signed", served.Certificate!.Subject, StringComparison.Ordinal);

        using var admin = new HttpClient();
        var stats = JsonNode.Parse(await admin.GetStringAsync(new Uri($"http://127.0.0.1:{setup.Gateway.Admin.Port}/stats.json")))!;
        var order = stats["acme"]![0]!;
        Assert.Equal("failing", (string?)order["state"]);
        Assert.NotNull((string?)order["nextAttempt"]);
    }
}

/// <summary>A Pebble, a backend, and a gateway whose one YARP route's host gets its certificate from that Pebble.</summary>
internal sealed class AcmeSetup : IAsyncDisposable
{
    private AcmeSetup(Pebble pebble, TestBackend backend, TestGateway gateway, string directory, CapturedLogs logs)
    {
        Logs = logs;
        Pebble = pebble;
        Backend = backend;
        Gateway = gateway;
        Directory = directory;
    }

    /// <summary>Generous: an order is a dozen round trips to a CA process that shares two cores with the whole suite.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public Pebble Pebble { get; }

    public TestBackend Backend { get; }

    public TestGateway Gateway { get; }

    public string Directory { get; }

    public CapturedLogs Logs { get; }

    public string Host { get; private init; } = "";

    /// <param name="dnsServer">The DNS server Pebble asks (for dns-01); null: pebble-challtestsrv.</param>
    /// <param name="dns">Gateway:Acme:Dns.</param>
    /// <param name="probeHost">The name <see cref="WaitForIssuedAsync"/> connects with; null: <paramref name="host"/> (which may be a wildcard).</param>
    public static async Task<AcmeSetup> StartAsync(string host, bool httpListener = true, string[]? challenges = null, TimeProvider? time = null, string? directory = null,
        IPEndPoint? dnsServer = null, JsonObject? dns = null, string? probeHost = null, string[]? moreHosts = null)
    {
        var httpPort = Pebble.FreePort();
        var tlsPort = Pebble.FreePort();
        var pebble = await Pebble.StartAsync(httpPort, tlsPort, dnsServer);
        var backend = await TestBackend.StartAsync("app");
        var acme = new JsonObject
        {
            ["Enabled"] = true,
            ["AcceptTermsOfService"] = true,
            ["Email"] = "ops@example.com",
            ["Directory"] = directory ?? pebble.DirectoryUrl,
            ["DirectoryTrust"] = pebble.TrustPath,
        };
        if (challenges is not null)
        {
            acme["Challenges"] = new JsonArray([.. challenges.Select(c => (JsonNode)c)]);
        }

        if (dns is not null)
        {
            acme["Dns"] = dns;
        }

        var gatewaySection = new JsonObject
        {
            ["Listeners"] = new JsonObject
            {
                ["Https"] = $"127.0.0.1:{tlsPort}",
                ["Http"] = httpListener ? $"127.0.0.1:{httpPort}" : "off",
                ["Admin"] = "127.0.0.1:0",
            },
            // A fake clock that jumps must not time out a ClientHello in flight.
            ["ClientHello"] = new JsonObject { ["Timeout"] = "5m" },
            ["Acme"] = acme,
        };
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ {{string.Join(", ", new[] { host }.Concat(moreHosts ?? []).Select(h => $"\"{h}\""))}} ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "d1": { "Address": "http://{{backend.Address}}/" } } } }
            }
            """)!.AsObject();

        var folder = System.IO.Directory.CreateTempSubdirectory("gateway-acme-").FullName;
        var file = JsonNode.Parse(TestGateway.Compose(gatewaySection, proxy))!;
        if (dns is not null)
        {
            // What dns-01 says of its records is information, below the tests' default level.
            file["Logging"]!["LogLevel"]!["Gateway.Certificates.Acme"] = "Information";
        }

        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), file.ToJsonString());
        var logs = new CapturedLogs();
        var gateway = await TestGateway.StartInAsync(folder, time, logs);
        return new AcmeSetup(pebble, backend, gateway, folder, logs) { Host = probeHost ?? host };
    }

    /// <summary>Waits until the ACME host sets' standing satisfies <paramref name="condition"/>; on a timeout, says what the gateway logged.</summary>
    public async Task WaitForStatusAsync(Func<IReadOnlyList<AcmeHostSetStatus>, bool> condition, string what)
    {
        var manager = Gateway.Services.GetRequiredService<AcmeCertificateManager>();
        await Poll.UntilAsync(() => condition(manager.Status), what, Patience, () =>
        {
            var standing = string.Join("; ", manager.Status.Select(s => $"{string.Join(",", s.Hosts)}: failures {s.Failures}, ordering {s.Ordering}, last error {s.LastError}"));
            var log = string.Join("\n", Logs.Entries.Where(e => e.Category.Contains("Acme", StringComparison.Ordinal)).Select(e => $"{e.Level} {e.Message}"));
            return $"Standing: [{standing}]. ACME log:\n{log}";
        });
    }

    /// <summary>How many orders the gateway has started (AcmeOrdering log entries).</summary>
    public int OrderingCount => Logs.Entries.Count(e => e.Event.Name == "AcmeOrdering");

    /// <summary>Waits until the gateway serves, for the host, a chain that validates against Pebble's root.</summary>
    public async Task<X509Certificate2> WaitForIssuedAsync(X509Certificate2 root)
    {
        X509Certificate2? issued = null;
        await Poll.UntilAsync(async () =>
        {
            var served = await HandshakeAsync(Gateway.Https, Host, root);
            issued = served.Valid ? served.Certificate : null;
            return issued is not null;
        }, Patience, $"a certificate for {Host} issued by Pebble is served");
        return issued!;
    }

    /// <summary>
    /// A TLS handshake to the gateway with SNI <paramref name="host"/>. Valid means the chain the gateway sent
    /// (intermediates included: nothing is downloaded) leads to <paramref name="root"/> and names the host.
    /// </summary>
    public static async Task<(X509Certificate2? Certificate, bool Valid)> HandshakeAsync(IPEndPoint gateway, string host, X509Certificate2? root)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway);
        await using var tls = new SslStream(tcp.GetStream());
        var valid = false;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, _, _, errors) =>
            {
                valid = root is not null && errors == SslPolicyErrors.None;
                return true;
            },
        };
        if (root is not null)
        {
            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                DisableCertificateDownloads = true,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.Add(root);
        }

        await tls.AuthenticateAsClientAsync(options);
        return (tls.RemoteCertificate is null ? null : new X509Certificate2(tls.RemoteCertificate), valid);
    }

    /// <summary>An HTTPS client that resolves every name to the gateway and trusts only Pebble's root.</summary>
    public HttpClient CreateHttpsClient(X509Certificate2 root)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(Gateway.Https, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.Add(root);
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Backend.DisposeAsync();
        await Pebble.DisposeAsync();
    }
}
