using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Certificates;

/// <summary>
/// Several gateways sharing one certificate store behind HAProxy in TCP mode (round robin on the HTTPS and HTTP
/// ports), with Pebble validating through HAProxy: every challenge may land on an instance that did not start it.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class AcmeClusterTests
{
    [Fact]
    public async Task Three_instances_serve_one_certificate_per_host_set_from_one_order_each_with_no_failed_validation()
    {
        string[][] sets = [["one.cluster.test", "www.one.cluster.test"], ["two.cluster.test"]];
        await using var cluster = await AcmeCluster.StartProcessesAsync(3, sets, lockLease: "30s", challenges: null);
        var root = await cluster.Pebble.IssuingRootAsync();

        foreach (var set in sets)
        {
            var serials = new HashSet<string>(StringComparer.Ordinal);
            foreach (var node in cluster.Nodes)
            {
                foreach (var host in set)
                {
                    serials.Add((await cluster.WaitForIssuedAsync(node, host, root)).SerialNumber);
                }
            }

            Assert.Single(serials);
        }

        Assert.True(cluster.PebbleOrders == sets.Length && cluster.OrderingLines() == sets.Length && cluster.FailureLines().Count == 0,
            $"Pebble saw {cluster.PebbleOrders} orders, the gateways started {cluster.OrderingLines()}:\n{cluster.AcmeLines()}");
        // One account key, one file per host set (and the record of who ordered it), nothing half-written left.
        var store = Assert.Single(Directory.GetDirectories(Path.Combine(cluster.Store, "acme")));
        Assert.Single(Directory.GetFiles(store, "account.key.pem"));
        Assert.Equal(sets.Length, Directory.GetFiles(Path.Combine(store, "certificates"), "*.pem").Length);
        Assert.Empty(Directory.GetFiles(store, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.Exists(Path.Combine(store, "challenges")) ? Directory.GetFiles(Path.Combine(store, "challenges"), "*", SearchOption.AllDirectories) : []);

        // Every instance's /stats.json names the one that ordered each set.
        using var admin = new HttpClient();
        var orderedBy = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in cluster.Nodes)
        {
            var stats = JsonNode.Parse(await admin.GetStringAsync(new Uri($"http://{node.Admin}/stats.json")))!;
            foreach (var order in stats["acme"]!.AsArray())
            {
                orderedBy.Add((string?)order!["hosts"]![0] + " " + (string?)order["orderedBy"]);
                Assert.NotNull((string?)order["orderedAt"]);
            }

            Assert.NotNull((string?)stats["acmeInstance"]);
        }

        Assert.Equal(sets.Length, orderedBy.Count);
    }

    [Fact]
    public async Task An_order_whose_holder_is_killed_is_finished_by_another_instance_after_the_lease()
    {
        string[][] sets = [["killed.cluster.test"]];
        await using var cluster = await AcmeCluster.StartProcessesAsync(3, sets, lockLease: "6s", challenges: ["http-01"]);
        var root = await cluster.Pebble.IssuingRootAsync();
        var locks = Path.Combine(AcmeStorage.RootOf(cluster.Store, new Uri(cluster.Pebble.DirectoryUrl)), "locks");

        // The first holder of the set's lock, killed (SIGKILL: no cleanup, no release) as soon as it holds it.
        var lockFile = Path.Combine(locks, "killed.cluster.test.0.lock");
        JsonNode? held = null;
        await Poll.UntilAsync(() => File.Exists(lockFile) && (held = TryParse(lockFile)) is not null, "an instance takes the set's lock", TimeSpan.FromSeconds(90));
        var owner = (string)held!["owner"]!;
        var victim = cluster.Nodes.Single(n => n.Process!.Id == int.Parse(owner.Split(':')[1], CultureInfo.InvariantCulture));
        victim.Process!.Kill();
        var killedAt = DateTimeOffset.UtcNow;
        await victim.Process.WaitForExitAsync();
        held = TryParse(lockFile) ?? held; // as the victim left it
        Assert.Empty(Directory.Exists(Path.Combine(locks, "..", "certificates")) ? Directory.GetFiles(Path.Combine(locks, "..", "certificates"), "*.pem") : []);

        // Another instance takes the order over once the lease (and its margin for clock skew) has run out.
        var survivors = cluster.Nodes.Where(n => n != victim).ToList();
        var serials = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in survivors)
        {
            serials.Add((await cluster.WaitForIssuedAsync(node, "killed.cluster.test", root)).SerialNumber);
        }

        Assert.Single(serials);
        var takeover = TryParse(Path.Combine(locks, "killed.cluster.test.1.lock"))!;
        Assert.NotEqual(owner, (string?)takeover["owner"]);
        Assert.True(DateTimeOffset.Parse((string)takeover["acquired"]!, CultureInfo.InvariantCulture) >= DateTimeOffset.Parse((string)held["expires"]!, CultureInfo.InvariantCulture),
            $"taken over at {takeover["acquired"]}, before the killed holder's lease ran out at {held["expires"]} (killed at {killedAt:O})");
        // No second takeover while the first one held the lock. A survivor may still take the lock the new holder released
        // (the certificate stored a moment before its look at the store): it then finds the certificate and orders nothing.
        var after = TryParse(Path.Combine(locks, "killed.cluster.test.2.lock"));
        Assert.True(after is null || (bool)TryParse(Path.Combine(locks, "killed.cluster.test.1.lock"))!["released"]!,
            $"the lock was taken from {takeover["owner"]} while it held it: {after?.ToJsonString()}");
        Assert.Equal(1, survivors.Sum(n => n.Lines().Count(l => l.Contains("ACME: ordering a certificate", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task A_renewal_due_on_three_instances_at_once_is_ordered_once()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string[][] sets = [["renew.cluster.test"]];
        await using var cluster = await AcmeCluster.StartInProcessAsync(3, sets, clock);
        var root = await cluster.Pebble.IssuingRootAsync();

        X509Certificate2 first;
        await using (new ClockPump(clock))
        {
            first = await cluster.WaitForIssuedAsync(cluster.Nodes[0], "renew.cluster.test", root);
            foreach (var node in cluster.Nodes)
            {
                await cluster.WaitForIssuedAsync(node, "renew.cluster.test", root, first.SerialNumber);
            }
        }

        // One order, with no failed validation: every instance listened before ACME was switched on.
        Assert.True(cluster.PebbleOrders == 1 && cluster.OrderingLines() == 1 && cluster.FailureLines().Count == 0,
            $"Pebble saw {cluster.PebbleOrders} orders, the gateways started {cluster.OrderingLines()}:\n{cluster.AcmeLines()}");

        var ordersBefore = cluster.PebbleOrders;
        var failuresBefore = cluster.FailureLines().Count;

        // Past the renewal point on every instance at the same moment.
        clock.Advance((first.NotAfter - first.NotBefore) * 0.75);
        string renewed;
        await using (new ClockPump(clock))
        {
            renewed = await PollRenewedAsync(cluster, cluster.Nodes[0], first, root);
            foreach (var node in cluster.Nodes)
            {
                Assert.Equal(renewed, await PollRenewedAsync(cluster, node, first, root));
            }
        }

        // Every instance listens by now: the renewal is one order, with no failed validation.
        Assert.True(cluster.PebbleOrders == ordersBefore + 1 && cluster.OrderingLines() == 2 && cluster.FailureLines().Count == failuresBefore,
            $"Pebble saw {cluster.PebbleOrders} orders, the gateways started {cluster.OrderingLines()}:\n{cluster.AcmeLines()}");
    }

    private static async Task<string> PollRenewedAsync(AcmeCluster cluster, AcmeCluster.Node node, X509Certificate2 first, X509Certificate2 root)
    {
        string? serial = null;
        await Poll.UntilAsync(async () =>
        {
            var served = await AcmeSetup.HandshakeAsync(node.Https, "renew.cluster.test", root);
            serial = served.Valid && served.Certificate!.SerialNumber != first.SerialNumber ? served.Certificate.SerialNumber : null;
            return serial is not null;
        }, AcmeSetup.Patience, "the renewed certificate is served by " + node.Https);
        return serial!;
    }

    private static JsonNode? TryParse(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
        {
            return null; // created, not yet written
        }
    }
}

/// <summary>Pebble, one backend, HAProxy and several gateways (processes or in this process) sharing one certificate store.</summary>
internal sealed class AcmeCluster : IAsyncDisposable
{
    private AcmeCluster(Pebble pebble, TestBackend backend, string store, string directory)
    {
        Pebble = pebble;
        Backend = backend;
        Store = store;
        Directory = directory;
    }

    public Pebble Pebble { get; }

    public TestBackend Backend { get; }

    public HaProxy? HaProxy { get; private set; }

    public string Store { get; }

    public string Directory { get; }

    public List<Node> Nodes { get; } = [];

    /// <summary>
    /// Orders Pebble created. Its request log is no count of them: Pebble turns away 5 % of nonces, and a newOrder
    /// retried after badNonce is a second request for the same order.
    /// </summary>
    public int PebbleOrders => Pebble.Output.Count(line => line.Contains("Added order", StringComparison.Ordinal));

    /// <summary>Orders the gateways started, all instances together.</summary>
    public int OrderingLines() => Nodes.Sum(n => n.Lines().Count(l => l.Contains("ACME: ordering a certificate", StringComparison.Ordinal)));

    /// <summary>Failed validations and orders, all instances together.</summary>
    public List<string> FailureLines() =>
        [.. Nodes.SelectMany(n => n.Lines()).Where(l => l.Contains("ACME: ", StringComparison.Ordinal) && l.Contains(" failed", StringComparison.Ordinal))];

    /// <summary>What the gateways logged about ACME, each line with the instance's HTTPS port.</summary>
    public string AcmeLines() =>
        string.Join("\n", Nodes.SelectMany(n => n.Lines().Where(l => l.Contains("ACME", StringComparison.Ordinal)).Select(l => $"[{n.Https.Port}] {l}")));

    public static Task<AcmeCluster> StartProcessesAsync(int count, string[][] sets, string lockLease, string[]? challenges) =>
        StartAsync(count, sets, lockLease, challenges, null);

    public static Task<AcmeCluster> StartInProcessAsync(int count, string[][] sets, FakeTimeProvider clock) =>
        StartAsync(count, sets, "1h", null, clock);

    private static async Task<AcmeCluster> StartAsync(int count, string[][] sets, string lockLease, string[]? challenges, FakeTimeProvider? clock)
    {
        var httpPort = Pebble.FreePort();
        var tlsPort = Pebble.FreePort();
        var pebble = await Pebble.StartAsync(httpPort, tlsPort);
        var backend = await TestBackend.StartAsync("app");
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-cluster-").FullName;
        var store = System.IO.Directory.CreateDirectory(Path.Combine(directory, "store")).FullName;
        var cluster = new AcmeCluster(pebble, backend, store, directory);
        try
        {
            var routes = new JsonObject();
            for (var i = 0; i < sets.Length; i++)
            {
                routes[$"r{i}"] = new JsonObject
                {
                    ["ClusterId"] = "app",
                    ["Match"] = new JsonObject { ["Hosts"] = new JsonArray([.. sets[i].Select(h => (JsonNode)h)]), ["Path"] = "{**catch-all}" },
                };
            }

            var configs = new List<JsonObject>();
            var proxy = new JsonObject
            {
                ["Routes"] = routes,
                ["Clusters"] = new JsonObject { ["app"] = JsonNode.Parse($$"""{ "Destinations": { "d1": { "Address": "http://{{backend.Address}}/" } } }""") },
            };
            for (var i = 0; i < count; i++)
            {
                var https = new IPEndPoint(IPAddress.Loopback, Pebble.FreePort());
                var http = new IPEndPoint(IPAddress.Loopback, Pebble.FreePort());
                var admin = new IPEndPoint(IPAddress.Loopback, Pebble.FreePort());
                var acme = new JsonObject
                {
                    ["Enabled"] = false,
                    ["AcceptTermsOfService"] = true,
                    ["Email"] = "ops@example.com",
                    ["Directory"] = pebble.DirectoryUrl,
                    ["DirectoryTrust"] = pebble.TrustPath,
                    ["LockLease"] = lockLease,
                };
                if (challenges is not null)
                {
                    acme["Challenges"] = new JsonArray([.. challenges.Select(c => (JsonNode)c)]);
                }

                var config = new JsonObject
                {
                    ["Gateway"] = new JsonObject
                    {
                        ["Listeners"] = new JsonObject { ["Https"] = https.ToString(), ["Http"] = http.ToString(), ["Admin"] = admin.ToString() },
                        ["ClientHello"] = new JsonObject { ["Timeout"] = "5m" },
                        ["Certificates"] = new JsonObject { ["Path"] = store },
                        ["Acme"] = acme,
                    },
                    ["ReverseProxy"] = proxy.DeepClone(),
                    ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning", ["Gateway"] = "Information" } },
                };
                var own = System.IO.Directory.CreateDirectory(Path.Combine(directory, $"g{i}")).FullName;
                await File.WriteAllTextAsync(Path.Combine(own, "appsettings.json"), config.ToJsonString());
                cluster.Nodes.Add(new Node(https, http, admin, own));
                configs.Add(config);
            }

            // Pebble's validations reach HAProxy, which hands each connection to the next gateway in turn, and one
            // refused (a killed instance, or one not listening yet) to the next.
            cluster.HaProxy = await HaProxy.StartAsync((tlsPort, [.. cluster.Nodes.Select(n => n.Https)]), (httpPort, [.. cluster.Nodes.Select(n => n.Http)]));
            await Task.WhenAll(cluster.Nodes.Select(n => n.StartAsync(clock)));

            // ACME is switched on once every instance listens, by a reload: an instance that ordered as it started had
            // Pebble's validation reach another one still starting (bound, not yet answering), which failed it.
            for (var i = 0; i < count; i++)
            {
                configs[i]["Gateway"]!["Acme"]!["Enabled"] = true;
                await File.WriteAllTextAsync(Path.Combine(cluster.Nodes[i].Directory, "appsettings.json"), configs[i].ToJsonString());
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Waits until <paramref name="node"/> serves, for <paramref name="host"/>, a chain that validates against Pebble's root (and has <paramref name="serial"/>, if given).</summary>
    public async Task<X509Certificate2> WaitForIssuedAsync(Node node, string host, X509Certificate2 root, string? serial = null)
    {
        X509Certificate2? issued = null;
        var deadline = DateTime.UtcNow + AcmeSetup.Patience;
        while (true)
        {
            var served = await AcmeSetup.HandshakeAsync(node.Https, host, root);
            issued = served.Valid && (serial is null || served.Certificate!.SerialNumber == serial) ? served.Certificate : null;
            if (issued is not null)
            {
                return issued;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{node.Https} serves no certificate for {host} from Pebble. Gateways said:\n{AcmeLines()}");
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        if (HaProxy is not null)
        {
            await HaProxy.DisposeAsync();
        }

        await Backend.DisposeAsync();
        await Pebble.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <summary>One gateway: a process of its own, or one in this process (for a fake clock).</summary>
    internal sealed class Node(IPEndPoint https, IPEndPoint http, IPEndPoint admin, string directory) : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _output = new();
        private CapturedLogs? _logs;

        public IPEndPoint Https { get; } = https;

        public IPEndPoint Http { get; } = http;

        public IPEndPoint Admin { get; } = admin;

        /// <summary>Where its appsettings.json is.</summary>
        public string Directory { get; } = directory;

        public Process? Process { get; private set; }

        public TestGateway? Gateway { get; private set; }

        public IEnumerable<string> Lines() => _logs is null ? _output : _logs.Entries.Select(e => e.Message);

        public async Task StartAsync(FakeTimeProvider? clock)
        {
            if (clock is not null)
            {
                _logs = new CapturedLogs();
                Gateway = await TestGateway.StartInAsync(Directory, clock, _logs);
                return;
            }

            Process = GatewayProcess.Start(Directory, _output, "--config", Path.Combine(Directory, "appsettings.json"));
            await Poll.UntilAsync(async () =>
            {
                Assert.False(Process.HasExited, "the gateway exited: " + string.Join("\n", _output));
                using var probe = new TcpClient();
                try
                {
                    await probe.ConnectAsync(Admin);
                    return true;
                }
                catch (SocketException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), $"the gateway in {Directory} listens");
        }

        public async ValueTask DisposeAsync()
        {
            if (Gateway is not null)
            {
                await Gateway.DisposeAsync();
            }

            if (Process is not null)
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    await Process.WaitForExitAsync();
                }

                Process.Dispose();
            }
        }
    }
}
