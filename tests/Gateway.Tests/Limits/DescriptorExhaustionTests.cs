using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Limits;

/// <summary>
/// A real gateway process under a low <c>ulimit -n</c>, flooded with more connections than its descriptors hold:
/// it must stay up, refuse what does not fit, and serve normally - L7, tunnels, reloads - once the flood is gone.
/// </summary>
public sealed partial class DescriptorExhaustionTests
{
    private const int OpenFilesLimit = 512;

    /// <summary>Well past the connections 512 descriptors hold, each kind on its own (a tunnel takes two descriptors).</summary>
    private const int FloodTunnels = 300;

    private const int FloodSilent = 300;

    [Theory]
    [InlineData(null)]
    [InlineData(5000)] // more than the descriptors hold: capped, not obeyed to the process's death
    public async Task A_flood_past_the_open_files_limit_is_refused_and_everything_works_once_it_ends(int? maxConnections)
    {
        await using var tunnels = new NamedBackends("a");
        await using var app = await TestBackend.StartAsync("app");
        await using var other = await TestBackend.StartAsync("other");
        var directory = Directory.CreateTempSubdirectory("gateway-fds-").FullName;
        var config = Path.Combine(directory, "appsettings.json");
        await WriteConfigAsync(config, tunnels, app, maxConnections);

        await using var gateway = await GatewayProcess.StartAsync(config, OpenFilesLimit);
        var limit = gateway.DerivedLimit;
        Assert.InRange(limit, 1, FloodTunnels - 1);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/"), Timeout = TimeSpan.FromSeconds(10) };
        Assert.Matches(Gauge("gateway_process_descriptors_limit", OpenFilesLimit), await admin.GetStringAsync("metrics"));

        var held = new List<Socket>();
        try
        {
            var reached = 0;
            for (var i = 0; i < FloodTunnels; i++)
            {
                try
                {
                    var (socket, backend) = await NamedBackends.ConnectAsync(gateway.Https);
                    held.Add(socket);
                    reached += backend == "a" ? 1 : 0;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    // Refused: closed with its ClientHello unread.
                }
            }

            for (var i = 0; i < FloodSilent; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                held.Add(socket);
                await socket.ConnectAsync(gateway.Https);
            }

            // Every tunnel that fit is open, the rest were closed at once, and the process is still there to say so.
            Assert.InRange(reached, 1, limit);
            Assert.False(gateway.HasExited, gateway.Output);
            // Refusals are counted as the refused connections close, which may trail the flood a little.
            await Poll.UntilAsync(async () => RefusedLimit().IsMatch(await admin.GetStringAsync("metrics")), TimeSpan.FromSeconds(20), "refusals to be counted");
            var metrics = await admin.GetStringAsync("metrics");
            Assert.Matches(Gauge("gateway_connections_limit", limit), metrics);
            Assert.Contains($"\"maxConnections\": {limit}", await admin.GetStringAsync("stats.json"), StringComparison.Ordinal);
        }
        catch (SocketException) when (gateway.HasExited)
        {
            Assert.Fail("The gateway died during the flood:\n" + gateway.Output);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        await Poll.UntilAsync(async () => (await admin.GetStringAsync("stats.json")).Contains("\"open\": 0,", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "the flood's connections to close");

        using (var client = HostClient.Create(gateway.Https, "app.test"))
        {
            Assert.StartsWith("app ", await client.GetStringAsync("https://127.0.0.1/"), StringComparison.Ordinal);
        }

        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));

        await WriteConfigAsync(config, tunnels, other, maxConnections);
        await Poll.UntilAsync(async () =>
        {
            using var client = HostClient.Create(gateway.Https, "app.test");
            return (await client.GetStringAsync("https://127.0.0.1/")).StartsWith("other ", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(20), "the reload to send app.test to the other backend");

        Assert.False(gateway.HasExited, gateway.Output);
        Assert.DoesNotContain("Could not load file or assembly", gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// An HTTP/2 client's streams each take a backend connection: three connections of 100 streams to a backend that
    /// never answers would need twice the descriptors there are. The requests past the budget get a 502 and are counted,
    /// the process lives, and everything works once the streams are gone.
    /// </summary>
    [Fact]
    public async Task Http2_streams_past_the_open_files_limit_get_a_502_and_the_process_lives()
    {
        await using var tunnels = new NamedBackends("a");
        await using var app = await TestBackend.StartAsync("app");
        using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen(1024);
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var socket = await silent.AcceptAsync();
                    lock (accepted)
                    {
                        accepted.Add(socket);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The listener closed: the test is over.
            }
        });

        var directory = Directory.CreateTempSubdirectory("gateway-fds-").FullName;
        var config = Path.Combine(directory, "appsettings.json");
        var section = tunnels.Gateway();
        section["Listeners"] = new JsonObject { ["Https"] = "127.0.0.1:0", ["Http"] = "off", ["Admin"] = "127.0.0.1:0" };
        var proxy = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.test") } },
                ["silent"] = new JsonObject { ["ClusterId"] = "silent", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("silent.test") } },
            },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["one"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
                ["silent"] = new JsonObject { ["Destinations"] = new JsonObject { ["one"] = new JsonObject { ["Address"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndPoint!).Port}/" } } },
            },
        };
        await File.WriteAllTextAsync(config, new JsonObject { ["Gateway"] = section, ["ReverseProxy"] = proxy }.ToJsonString());

        await using var gateway = await GatewayProcess.StartAsync(config, OpenFilesLimit);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/"), Timeout = TimeSpan.FromSeconds(10) };
        var clients = Enumerable.Range(0, 3).Select(_ => new GatewayClient(gateway.Https, version: HttpVersion.Version20)).ToList();
        using var stop = new CancellationTokenSource();
        var streams = clients.SelectMany(client => Enumerable.Range(0, 100).Select(async _ =>
        {
            try
            {
                using var response = await client.Http.GetAsync(client.Url("silent.test"), stop.Token);
                return (int)response.StatusCode;
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                return 0;
            }
        })).ToList();
        try
        {
            // The streams past the budget are answered at once; the others wait on the silent backend.
            await Poll.UntilAsync(() => gateway.HasExited || streams.Count(s => s.IsCompletedSuccessfully && s.Result == 502) >= 100,
                "the streams past the budget to get a 502", TimeSpan.FromSeconds(60), () => $"{accepted.Count} backend connections, {streams.Count(s => s.IsCompleted)} streams answered; {gateway.Output}");
            Assert.False(gateway.HasExited, gateway.Output);
            Assert.Matches(RefusedBackends(), await admin.GetStringAsync("metrics"));
            Assert.InRange(accepted.Count, 1, OpenFilesLimit - 100);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(streams);
            clients.ForEach(c => c.Dispose());
        }

        // Once the streams are gone their backend connections close, and the descriptors serve everyone again.
        await Poll.UntilAsync(async () =>
        {
            using var client = HostClient.Create(gateway.Https, "app.test");
            using var response = await client.GetAsync("https://127.0.0.1/");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(30), "app.test to answer again");
        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));
        Assert.False(gateway.HasExited, gateway.Output);
        Assert.DoesNotContain("Could not load file or assembly", gateway.Output, StringComparison.Ordinal);
        silent.Close();
        await accepting;
        accepted.ForEach(s => s.Dispose());
    }

    /// <summary>
    /// A failed assembly load is remembered for the life of the process, and a flood may take the descriptors a first
    /// load needs: whatever serving needs is loaded at start. Each kind of connection, and the admin listener an operator
    /// opens during a flood, is served once here; none may map an assembly the start did not.
    /// </summary>
    [Fact]
    public async Task Serving_each_kind_of_connection_loads_no_assembly_the_start_did_not()
    {
        await using var tunnels = new NamedBackends("a");
        await using var app = await TestBackend.StartAsync("app");
        var directory = Directory.CreateTempSubdirectory("gateway-loads-").FullName;
        var config = Path.Combine(directory, "appsettings.json");
        await WriteConfigAsync(config, tunnels, app, maxConnections: null);
        var root = JsonNode.Parse(await File.ReadAllTextAsync(config))!;
        root["Gateway"]!["AccessLog"] = new JsonObject { ["Enabled"] = true, ["Format"] = "Json", ["Path"] = Path.Combine(directory, "access.log") };
        await File.WriteAllTextAsync(config, root.ToJsonString());

        await using var gateway = await GatewayProcess.StartAsync(config, 4096);
        var before = MappedAssemblies(gateway.Id);

        using (var client = HostClient.Create(gateway.Https, "app.test"))
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", "agent \"quoted\"");
            Assert.StartsWith("app ", await client.GetStringAsync("https://127.0.0.1/?q=%22%3C%26"), StringComparison.Ordinal);
        }

        using (var http2 = new GatewayClient(gateway.Https, version: HttpVersion.Version20))
        {
            Assert.StartsWith("app ", await http2.Http.GetStringAsync(http2.Url("app.test", "/?q=%3E")), StringComparison.Ordinal);
        }

        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}/"), Timeout = TimeSpan.FromSeconds(10) };
        foreach (var path in new[] { "metrics", "stats", "stats.json", "healthz", "readyz" })
        {
            using var response = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var drain = await admin.PostAsync("api/clusters/pool/destinations/a/state?value=Drain", null))
        {
            Assert.Equal(HttpStatusCode.OK, drain.StatusCode);
        }

        using (var back = await admin.PostAsync("api/clusters/pool/destinations/a/state?value=Config", null))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        }

        // The JSON access log escapes the user agent's quotes: the escaping is loaded, and used.
        var log = Path.Combine(directory, "access.log");
        await Poll.UntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains(@"\u0022", StringComparison.Ordinal), "the access log to write the escaped request", TimeSpan.FromSeconds(20));
        var loaded = MappedAssemblies(gateway.Id).Except(before).Select(Path.GetFileName).ToList();
        Assert.True(loaded.Count == 0, "loaded after the start (add them to Hosting/Preload.cs): " + string.Join(", ", loaded));
        Assert.False(gateway.HasExited, gateway.Output);
    }

    private static HashSet<string> MappedAssemblies(int pid) =>
        File.ReadLines($"/proc/{pid}/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 6 && f[5].EndsWith(".dll", StringComparison.Ordinal))
            .Select(f => f[5]).ToHashSet(StringComparer.Ordinal);

    private static async Task WriteConfigAsync(string path, NamedBackends tunnels, TestBackend app, int? maxConnections)
    {
        var section = tunnels.Gateway();
        if (maxConnections is { } max)
        {
            section["Limits"] = new JsonObject { ["MaxConnections"] = max };
        }

        section["Listeners"] = new JsonObject { ["Https"] = "127.0.0.1:0", ["Http"] = "off", ["Admin"] = "127.0.0.1:0" };
        section["ClientHello"] = new JsonObject { ["Timeout"] = "00:01:00" };
        var proxy = new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.test"), ["Path"] = "{**catch-all}" } } },
            ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["one"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } } },
        };
        var root = new JsonObject { ["Gateway"] = section, ["ReverseProxy"] = proxy };
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, root.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }

    private static Regex Gauge(string name, int value) => new($"^{name}(\\{{[^}}]*\\}})? {value}$", RegexOptions.Multiline);

    [GeneratedRegex("gateway_connections_total\\{[^}]*outcome=\"refused-limit\"[^}]*\\} [1-9]")]
    private static partial Regex RefusedLimit();

    [GeneratedRegex("gateway_backend_connections_refused_total\\{[^}]*layer=\"proxy\"[^}]*\\} [1-9]")]
    private static partial Regex RefusedBackends();

    /// <summary>The built gateway as a child process under <c>ulimit -n</c>, its listeners read from its log.</summary>
    private sealed partial class GatewayProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private GatewayProcess(Process process) => _process = process;

        public IPEndPoint Https { get; private set; } = null!;

        public IPEndPoint Admin { get; private set; } = null!;

        public int DerivedLimit { get; private set; }

        public bool HasExited => _process.HasExited;

        /// <summary>The gateway's process id: bash execs dotnet, so the one started.</summary>
        public int Id => _process.Id;

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<GatewayProcess> StartAsync(string config, int openFiles)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"ulimit -n {openFiles} && exec dotnet \"$0\" --config \"$1\"");
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add(config);
            start.Environment["Logging__Console__FormatterName"] = "simple";
            start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
            var gateway = new GatewayProcess(Process.Start(start)!);
            gateway._process.OutputDataReceived += (_, e) => gateway.Append(e.Data);
            gateway._process.ErrorDataReceived += (_, e) => gateway.Append(e.Data);
            gateway._process.BeginOutputReadLine();
            gateway._process.BeginErrorReadLine();
            try
            {
                await Poll.UntilAsync(() => gateway.HasExited || BudgetLine().IsMatch(gateway.Output), "the gateway to start", TimeSpan.FromSeconds(30));
                Assert.False(gateway.HasExited, gateway.Output);
                var output = gateway.Output;
                gateway.DerivedLimit = int.Parse(BudgetLine().Match(output).Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture);
                var listening = Listening().Matches(output);
                gateway.Https = listening.Where(m => m.Groups[1].Value == "https").Select(Endpoint).Single();
                gateway.Admin = listening.Where(m => m.Groups[1].Value == "http").Select(Endpoint).Single();
                return gateway;
            }
            catch
            {
                await gateway.DisposeAsync();
                throw;
            }
        }

        private static IPEndPoint Endpoint(Match match) => IPEndPoint.Parse(match.Groups[2].Value);

        private void Append(string? line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(guard.Token);
            _process.Dispose();
        }

        [GeneratedRegex("connections on the public listeners limited to (\\d+) \\((derived|Gateway:Limits:MaxConnections \\d+, capped)")]
        private static partial Regex BudgetLine();

        [GeneratedRegex("Now listening on: (https?)://(127\\.0\\.0\\.1:\\d+)")]
        private static partial Regex Listening();
    }
}
