using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real ACME CA: Let's Encrypt's Pebble, on loopback, with its own HTTPS certificate generated here (the Debian
/// package ships none) and pebble-challtestsrv as its DNS server, answering 127.0.0.1 for every name. Its
/// validations connect to <c>httpPort</c>/<c>tlsPort</c>, which a test points at the gateway's listeners.
/// Its 5 % nonce rejection stays on, so every order exercises the badNonce retry.
/// </summary>
public sealed class Pebble : IAsyncDisposable
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> HandedOut = new();

    private readonly Process _pebble;
    private readonly Process? _dns;
    private readonly string _directory;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output;

    private Pebble(Process pebble, Process? dns, string directory, int port, int managementPort, string trustPath, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        _output = output;
        _pebble = pebble;
        _dns = dns;
        _directory = directory;
        DirectoryUrl = $"https://127.0.0.1:{port}/dir";
        ManagementUrl = $"https://127.0.0.1:{managementPort}";
        TrustPath = trustPath;
    }

    /// <summary>Hosts Pebble refuses to issue for ("rejectedIdentifier").</summary>
    public const string BlockedHost = "blocked.gateway.test";

    public string DirectoryUrl { get; }

    /// <summary>What Pebble has printed so far (its request log among it).</summary>
    public IReadOnlyCollection<string> Output => _output;

    public string ManagementUrl { get; }

    /// <summary>PEM of the CA that signed Pebble's own HTTPS certificate: the gateway's Gateway:Acme:DirectoryTrust.</summary>
    public string TrustPath { get; }

    /// <param name="dnsServer">A DNS server of the test's own ("127.0.0.1:port") that Pebble asks instead of
    /// pebble-challtestsrv: a real authoritative server, for dns-01.</param>
    public static async Task<Pebble> StartAsync(int httpPort, int tlsPort, IPEndPoint? dnsServer = null)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-pebble-").FullName;
        var trustPath = WriteListenerCertificate(directory);
        var dnsPort = FreePort(SocketType.Dgram, ProtocolType.Udp);
        var port = FreePort();
        var managementPort = FreePort();
        var configPath = Path.Combine(directory, "pebble-config.json");
        await File.WriteAllTextAsync(configPath, new JsonObject
        {
            ["pebble"] = new JsonObject
            {
                ["listenAddress"] = $"127.0.0.1:{port}",
                ["managementListenAddress"] = $"127.0.0.1:{managementPort}",
                ["certificate"] = Path.Combine(directory, "listener.pem"),
                ["privateKey"] = Path.Combine(directory, "listener.key"),
                ["httpPort"] = httpPort,
                ["tlsPort"] = tlsPort,
                ["ocspResponderURL"] = "",
                ["externalAccountBindingRequired"] = false,
                ["domainBlocklist"] = new JsonArray(BlockedHost),
            },
        }.ToJsonString());

        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var dns = dnsServer is not null ? null : Start("pebble-challtestsrv", directory, [], null, "-dns01", $"127.0.0.1:{dnsPort}", "-http01", "", "-https01", "", "-tlsalpn01", "",
            "-management", $"127.0.0.1:{FreePort()}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "");
        var pebble = Start("pebble", directory, [("PEBBLE_VA_NOSLEEP", "1")], output, "-config", configPath, "-dnsserver", dnsServer?.ToString() ?? $"127.0.0.1:{dnsPort}");
        var instance = new Pebble(pebble, dns, directory, port, managementPort, trustPath, output);
        try
        {
            using var client = instance.CreateClient();
            await Poll.UntilAsync(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(new Uri(instance.DirectoryUrl));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(20), "Pebble answers its directory");
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>The root that signs the certificates Pebble issues (regenerated each time Pebble starts).</summary>
    public async Task<X509Certificate2> IssuingRootAsync()
    {
        using var client = CreateClient();
        var pem = await client.GetStringAsync(new Uri(ManagementUrl + "/roots/0"));
        return X509Certificate2.CreateFromPem(pem);
    }

    /// <summary>An HTTPS client that trusts Pebble's own listener certificate.</summary>
    public HttpClient CreateClient()
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(TrustPath);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>
    /// A port nothing listens on now, and never one handed out before in this run: the kernel may give a closed port
    /// to the next bind, and three listeners of one gateway then got the same two (a config that clashes).
    /// </summary>
    public static int FreePort(SocketType type = SocketType.Stream, ProtocolType protocol = ProtocolType.Tcp)
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (HandedOut.TryAdd(port, 0))
            {
                return port;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { _pebble, _dns }.OfType<Process>())
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static Process Start(string fileName, string directory, (string Name, string Value)[] environment, System.Collections.Concurrent.ConcurrentQueue<string>? output, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        // Drained so a chatty process never blocks on a full pipe; GATEWAY_TEST_LOG=Debug shows it.
        var show = Environment.GetEnvironmentVariable("GATEWAY_TEST_LOG") == "Debug";
        void Line(string? line)
        {
            if (line is not null)
            {
                output?.Enqueue(line);
                if (show)
                {
                    Console.WriteLine($"[{fileName}] {line}");
                }
            }
        }

        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A throwaway CA and a certificate for 127.0.0.1/localhost signed by it, for Pebble's HTTPS listeners.</summary>
    private static string WriteListenerCertificate(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Gateway test Pebble listener CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(29), [1, 2, 3, 4]);

        File.WriteAllText(Path.Combine(directory, "listener.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "listener.key"), key.ExportPkcs8PrivateKeyPem());
        var trustPath = Path.Combine(directory, "listener-ca.pem");
        File.WriteAllText(trustPath, ca.ExportCertificatePem());
        return trustPath;
    }
}
