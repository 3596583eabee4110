using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.AccessLog;

/// <summary>One line per L7 request and per tunnel, with what an operator reads in nginx's or HAProxy's log, and rotation survived.</summary>
public sealed partial class AccessLogTests : IAsyncLifetime
{
    private TestBackend _app = null!;
    private NamedBackends _tunnels = null!;
    private string _directory = null!;

    public async Task InitializeAsync()
    {
        _app = await TestBackend.StartAsync("app");
        _tunnels = new NamedBackends("a");
        _directory = Directory.CreateTempSubdirectory("gateway-access-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _tunnels.DisposeAsync();
    }

    [Fact]
    public async Task A_request_and_a_tunnel_are_each_one_json_line_with_every_field()
    {
        var path = Path.Combine(_directory, "access.log");
        await using var gateway = await StartAsync(new JsonObject { ["Path"] = path, ["Format"] = "Json" });

        using (var client = HostClient.Create(gateway.Https, "app.test"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/?x=1");
            request.Headers.UserAgent.ParseAdd("probe/1.0");
            request.Headers.Referrer = new Uri("https://referrer.test/page");
            using var response = await client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        var (socket, backend) = await NamedBackends.ConnectAsync(gateway.Https);
        Assert.Equal("a", backend);
        socket.Dispose();

        var lines = await LinesAsync(path, 2);
        var line = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("type").GetString() == "request");
        Assert.Equal("127.0.0.1", line.GetProperty("client").GetString());
        Assert.True(line.GetProperty("client_port").GetInt32() > 0);
        Assert.Equal("app.test", line.GetProperty("host").GetString());
        Assert.Equal("app.test", line.GetProperty("sni").GetString());
        Assert.Equal("GET", line.GetProperty("method").GetString());
        Assert.Equal("/?x=1", line.GetProperty("target").GetString());
        Assert.Equal("HTTP/1.1", line.GetProperty("protocol").GetString());
        Assert.Equal(200, line.GetProperty("status").GetInt32());
        Assert.Equal("app", line.GetProperty("route").GetString());
        Assert.Equal("app", line.GetProperty("cluster").GetString());
        Assert.Equal("app01", line.GetProperty("destination").GetString());
        Assert.StartsWith("Tls1", line.GetProperty("tls").GetString(), StringComparison.Ordinal);
        Assert.Equal("probe/1.0", line.GetProperty("user_agent").GetString());
        Assert.Equal("https://referrer.test/page", line.GetProperty("referer").GetString());
        Assert.InRange(line.GetProperty("backend_time").GetDouble(), 0, line.GetProperty("duration").GetDouble());
        Assert.False(line.TryGetProperty("answered", out _));

        var tunnel = lines.Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("type").GetString() == "tunnel");
        Assert.Equal(NamedBackends.Host, tunnel.GetProperty("sni").GetString());
        Assert.Equal("pool", tunnel.GetProperty("route").GetString());
        Assert.Equal("a", tunnel.GetProperty("destination").GetString());
        Assert.True(tunnel.GetProperty("bytes_in").GetInt64() > 0, "the client's hello went through");
        Assert.True(tunnel.GetProperty("bytes_out").GetInt64() > 0, "the backend's greeting came back");
        Assert.Equal("ClientClosed", tunnel.GetProperty("end").GetString());
        Assert.False(tunnel.TryGetProperty("status", out _));
    }

    [Fact]
    public async Task The_combined_line_is_nginx_s_with_gateway_s_fields_and_says_why_gateway_answered()
    {
        var path = Path.Combine(_directory, "access.log");
        await using var gateway = await StartAsync(new JsonObject { ["Path"] = path });

        using (var client = HostClient.Create(gateway.Https, "nobody.test"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/a \"quoted\" path");
            request.Headers.TryAddWithoutValidation("User-Agent", "probe \"1\"");
            using var response = await client.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        }

        var line = Assert.Single(await LinesAsync(path, 1));
        var match = CombinedLine().Match(line);
        Assert.True(match.Success, line);
        Assert.Equal("127.0.0.1", match.Groups["client"].Value);
        Assert.Equal("GET /a%20%22quoted%22%20path HTTP/1.1", match.Groups["request"].Value);
        Assert.Equal("404", match.Groups["status"].Value);
        Assert.Equal("probe \\x221\\x22", match.Groups["agent"].Value);
        Assert.Contains(" host=nobody.test ", line, StringComparison.Ordinal);
        Assert.Contains(" answered=default-site", line, StringComparison.Ordinal);
        Assert.Contains(" route=- ", line, StringComparison.Ordinal);
        Assert.Contains(" backend_time=- ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_moved_away_or_truncated_by_a_rotation_gets_the_next_lines()
    {
        var path = Path.Combine(_directory, "access.log");
        await using var gateway = await StartAsync(new JsonObject { ["Path"] = path });
        using var client = HostClient.Create(gateway.Https, "app.test");

        await client.GetAsync(new Uri("/first", UriKind.Relative));
        await LinesAsync(path, 1);

        // logrotate's default: the file is renamed, the writer notices and starts a new one.
        File.Move(path, path + ".1");
        await Poll.UntilAsync(
            async () =>
            {
                await client.GetAsync(new Uri("/after-move", UriKind.Relative));
                return File.Exists(path) && (await File.ReadAllTextAsync(path)).Contains("/after-move", StringComparison.Ordinal);
            },
            TimeSpan.FromSeconds(30),
            "a new file gets the lines after the move");
        Assert.Contains("/first", await File.ReadAllTextAsync(path + ".1"), StringComparison.Ordinal);

        // copytruncate: the same file, emptied; the next lines start at its beginning, without a hole of zeros.
        await using (var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            truncate.SetLength(0);
        }

        await client.GetAsync(new Uri("/after-truncate", UriKind.Relative));
        await Poll.UntilAsync(async () => (await File.ReadAllTextAsync(path)).Contains("/after-truncate", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the line after the truncation");
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.DoesNotContain((byte)0, bytes);
    }

    [Fact]
    public async Task Switched_off_it_writes_nothing()
    {
        var path = Path.Combine(_directory, "access.log");
        await using var gateway = await StartAsync(new JsonObject { ["Path"] = path, ["Enabled"] = false });
        using (var client = HostClient.Create(gateway.Https, "app.test"))
        {
            await client.GetAsync(new Uri("/quiet", UriKind.Relative));
        }

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.False(File.Exists(path) && new FileInfo(path).Length > 0);
    }

    [Fact]
    public async Task Lines_that_cannot_be_written_are_dropped_counted_and_said_once_and_requests_go_on()
    {
        // /dev/full takes the open and refuses every write (ENOSPC): a full disk.
        var logs = new CapturedLogs();
        var section = _tunnels.Gateway();
        section["AccessLog"] = new JsonObject { ["Path"] = "/dev/full" };
        await File.WriteAllTextAsync(Path.Combine(_directory, "appsettings.json"), TestGateway.Compose(section, AppRoute()));
        await using var gateway = await TestGateway.StartInAsync(_directory, null, logs);
        using var dropped = new CounterProbe(gateway, "gateway.access_log.dropped");
        using var client = HostClient.Create(gateway.Https, "app.test");

        for (var i = 0; i < 3; i++)
        {
            using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        await Poll.UntilAsync(() => dropped.Total >= 3, "the three lines are counted as dropped");
        var said = Assert.Single(logs.Entries, e => e.Event.Name == "AccessLogWriteFailed");
        Assert.Contains("/dev/full", said.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Format", "Apache", "Gateway:AccessLog:Format", "'Apache' is not one of: Combined, Json")]
    [InlineData("Path", "/no/such/folder/access.log", "Gateway:AccessLog:Path", "the folder '/no/such/folder' does not exist")]
    [InlineData("Pth", "x", "Gateway:AccessLog:Pth", "(did you mean 'Path'?)")]
    public void A_mistake_is_refused_with_its_path(string key, string value, string path, string message)
    {
        var generation = ConfigUnderTest.Read(new Dictionary<string, string?> { ["Gateway:AccessLog:" + key] = value }, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private async Task<TestGateway> StartAsync(JsonObject accessLog)
    {
        var section = _tunnels.Gateway();
        section["AccessLog"] = accessLog;
        return await TestGateway.StartAsync(section, AppRoute());
    }

    private JsonObject AppRoute() => new()
    {
        ["Routes"] = new JsonObject
        {
            ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.test"), ["Path"] = "{**catch-all}" } },
        },
        ["Clusters"] = new JsonObject
        {
            ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = "http://" + _app.Address } } },
        },
    };

    private static async Task<List<string>> LinesAsync(string path, int count)
    {
        List<string> lines = [];
        await Poll.UntilAsync(
            async () =>
            {
                lines = File.Exists(path) ? [.. (await File.ReadAllLinesAsync(path)).Where(l => l.Length > 0)] : [];
                return lines.Count >= count;
            },
            TimeSpan.FromSeconds(30),
            $"{count} access-log line(s) in {path}");
        return lines;
    }

    [GeneratedRegex("""^(?<client>\S+) - (?<user>\S+) \[(?<time>\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "(?<request>[^"]*)" (?<status>\d{3}|-) (?<bytes>\d+|-) "(?<referer>[^"]*)" "(?<agent>[^"]*)"(?<fields>( \w+=\S+)*)$""")]
    private static partial Regex CombinedLine();
}
