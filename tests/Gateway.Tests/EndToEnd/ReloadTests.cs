using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Passthrough;
using Gateway.Reload;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Sni;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class ReloadTests : IAsyncLifetime
{
    private TestBackend _app = null!;
    private RawTcpBackend _echo = null!;

    public async Task InitializeAsync()
    {
        _app = await TestBackend.StartAsync("app");
        _echo = new RawTcpBackend(async socket =>
        {
            var buffer = new byte[4096];
            int count;
            while ((count = await socket.ReceiveAsync(buffer)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, count));
            }
        });
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _echo.DisposeAsync();
    }

    public static TheoryData<string, string, string> RejectedEdits => new()
    {
        { "invalid JSON", "appsettings.json:1:16", "the file ends inside the object opened at 1:14: a '}' is missing (in Gateway)" },
        { "unknown cluster", "Gateway:Passthrough:Routes:raw:ClusterId", "cluster 'nope' does not exist" },
        { "host in L4 and L7", "ReverseProxy:Routes:app:Match:Hosts:0", "also routed by passthrough route Gateway:Passthrough:Routes:raw" },
        { "bad duration", "Gateway:Passthrough:Clusters:raw:IdleTimeout", "'forever' is not a duration" },
        { "bad address", "Gateway:Passthrough:Clusters:raw:Destinations:raw01:Address", "not \"host:port\"" },
        { "missing certificate file", "Gateway:Tls:Certificates:app.test", "cannot read the certificate files" },
        { "bad YARP cluster", "ReverseProxy:Clusters:app", "NoSuchPolicy" },
    };

    [Theory]
    [MemberData(nameof(RejectedEdits))]
    public async Task A_rejected_edit_keeps_the_last_good_generation_serving_and_names_the_path(string edit, string path, string message)
    {
        await using var gateway = await TestGateway.StartAsync(Gateway("raw.test"), Proxy("app.test"));
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        var (gatewaySection, proxySection) = (Gateway("raw.test"), Proxy("app.test"));
        string? raw = null;
        switch (edit)
        {
            case "invalid JSON":
                raw = "{ \"Gateway\": { ";
                break;
            case "unknown cluster":
                gatewaySection["Passthrough"]!["Routes"]!["raw"]!["ClusterId"] = "nope";
                break;
            case "host in L4 and L7":
                proxySection["Routes"]!["app"]!["Match"]!["Hosts"] = new JsonArray("RAW.test");
                break;
            case "bad duration":
                gatewaySection["Passthrough"]!["Clusters"]!["raw"]!["IdleTimeout"] = "forever";
                break;
            case "bad address":
                gatewaySection["Passthrough"]!["Clusters"]!["raw"]!["Destinations"]!["raw01"]!["Address"] = "127.0.0.1";
                break;
            case "missing certificate file":
                gatewaySection["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = "/nonexistent/cert.pem", ["KeyPath"] = "/nonexistent/key.pem" } } };
                break;
            case "bad YARP cluster":
                proxySection["Clusters"]!["app"]!["LoadBalancingPolicy"] = "NoSuchPolicy";
                break;
        }

        await gateway.WriteConfigAsync(gatewaySection, proxySection, raw);
        Assert.False(await reloader.ReloadAsync());

        var failure = gateway.Generations.LastFailure;
        Assert.NotNull(failure);
        var expectedPath = path.StartsWith("appsettings.json", StringComparison.Ordinal) ? gateway.ConfigFile + path["appsettings.json".Length..] : path;
        Assert.Contains(failure.Errors, e => e.Path == expectedPath && e.Message.Contains(message, StringComparison.Ordinal));
        Assert.Equal(1, gateway.Generations.Current.Number);
        await AssertServesAsync(gateway, "raw.test", "app.test");
    }

    /// <summary>
    /// A value the console logger refuses fails the whole edit before anything applies: the route and host changed in
    /// the same save are not live, and the reload counts as rejected - true, since generation 1 still serves.
    /// </summary>
    [Theory]
    [InlineData("FormatterOptions:ColorBehavior", "Sometimes")]
    [InlineData("MaxQueueLength", "0")]
    public async Task An_edit_with_a_console_logging_value_the_logger_refuses_is_rejected_as_a_whole(string option, string value)
    {
        await using var gateway = await TestGateway.StartAsync(Gateway("raw.test"), Proxy("app.test"));
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        using var reloads = new CounterProbe(gateway, "gateway.config.reloads");
        var proxy = Proxy("app.test");
        proxy["Routes"]!["app2"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app2.test"), ["Path"] = "{**catch-all}" } };
        var root = JsonNode.Parse(TestGateway.Compose(Gateway("raw2.test"), proxy))!.AsObject();
        var console = new JsonObject();
        var section = console;
        var keys = option.Split(':');
        foreach (var key in keys[..^1])
        {
            section = (JsonObject)(section[key] = new JsonObject());
        }

        section[keys[^1]] = value;
        root["Logging"]!["Console"] = console;

        await gateway.WriteConfigAsync(null, null, root.ToJsonString());
        Assert.False(await reloader.ReloadAsync());

        var failure = gateway.Generations.LastFailure;
        Assert.NotNull(failure);
        Assert.Equal("Logging:Console:" + option, Assert.Single(failure.Errors).Path);
        Assert.Equal(1, gateway.Generations.Current.Number);
        Assert.Equal(1, reloads[("outcome", "rejected")]);
        Assert.Equal(0, reloads[("outcome", "applied")]);
        await AssertServesAsync(gateway, "raw.test", "app.test");
        await AssertNotPassthroughAsync(gateway, "raw2.test");
        using var client = new GatewayClient(gateway.Https);
        using var response = await client.Http.GetAsync(client.Url("app2.test"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    /// <summary>
    /// Once published, a generation serves whatever a follower does with it: a follower that throws is logged and
    /// counted as an internal error, the others still follow, and the reload is applied - never "rejected" while live.
    /// </summary>
    [Fact]
    public async Task A_follower_that_fails_after_a_generation_is_published_does_not_make_the_reload_rejected()
    {
        var logs = new CapturedLogs();
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(Gateway("raw.test"), Proxy("app.test")));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        using var reloads = new CounterProbe(gateway, "gateway.config.reloads");
        using var internalErrors = new CounterProbe(gateway, "gateway.internal_errors");
        var followedAfter = 0;
        gateway.Generations.Published += (_, _) => throw new InvalidOperationException("a follower's bug");
        gateway.Generations.Published += (_, next) => followedAfter = next.Number;

        await gateway.WriteConfigAsync(Gateway("raw2.test"), Proxy("app2.test"));
        Assert.True(await reloader.ReloadAsync());

        Assert.Equal(2, gateway.Generations.Current.Number);
        Assert.Null(gateway.Generations.LastFailure);
        Assert.Equal(2, followedAfter);
        Assert.Equal(1, reloads[("outcome", "applied")]);
        Assert.Equal(0, reloads[("outcome", "rejected")]);
        Assert.Equal(1, internalErrors[("component", "reload")]);
        await Poll.UntilAsync(() => logs.Entries.Any(e => e.Event.Name == "FollowerFailed" && e.Message.Contains(nameof(ReloadTests), StringComparison.Ordinal)), "the follower's failure is logged");
        await AssertServesAsync(gateway, "raw2.test", "app2.test");
    }

    [Fact]
    public async Task A_config_mounted_the_way_kubernetes_mounts_a_configmap_reloads_when_the_map_changes()
    {
        // Kubernetes: appsettings.json -> ..data/appsettings.json, and an update swaps the ..data symlink.
        var directory = Directory.CreateTempSubdirectory("gateway-configmap-").FullName;
        var first = Directory.CreateDirectory(Path.Combine(directory, "..2026_11_28_1")).FullName;
        await File.WriteAllTextAsync(Path.Combine(first, "appsettings.json"), TestGateway.Compose(Gateway("raw.test"), Proxy("app.test")));
        File.CreateSymbolicLink(Path.Combine(directory, "..data"), first);
        File.CreateSymbolicLink(Path.Combine(directory, "appsettings.json"), Path.Combine("..data", "appsettings.json"));
        await using var gateway = await TestGateway.StartInAsync(directory, null);

        var second = Directory.CreateDirectory(Path.Combine(directory, "..2026_11_28_2")).FullName;
        await File.WriteAllTextAsync(Path.Combine(second, "appsettings.json"), TestGateway.Compose(Gateway("raw2.test"), Proxy("app2.test")));
        await SwapDataLinkAsync(directory, second);

        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the swapped ConfigMap is applied");
        await AssertServesAsync(gateway, "raw2.test", "app2.test");
    }

    [Fact]
    public async Task A_certificate_mounted_the_way_kubernetes_mounts_a_secret_is_served_anew_when_the_secret_changes()
    {
        // Kubernetes: tls.crt -> ..data/tls.crt and tls.key -> ..data/tls.key; an update swaps the ..data symlink,
        // so the links the config names never change themselves.
        var (first, second) = (TestCertificates.Get("app.test"), TestCertificates.Get("renewed.app.test"));
        var directory = Directory.CreateTempSubdirectory("gateway-secret-").FullName;
        var firstData = Directory.CreateDirectory(Path.Combine(directory, "..2026_11_28_1")).FullName;
        File.Copy(first.CertificatePath, Path.Combine(firstData, "tls.crt"));
        File.Copy(first.KeyPath, Path.Combine(firstData, "tls.key"));
        File.CreateSymbolicLink(Path.Combine(directory, "..data"), firstData);
        File.CreateSymbolicLink(Path.Combine(directory, "tls.crt"), Path.Combine("..data", "tls.crt"));
        File.CreateSymbolicLink(Path.Combine(directory, "tls.key"), Path.Combine("..data", "tls.key"));
        var section = Gateway("raw.test");
        section["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = Path.Combine(directory, "tls.crt"), ["KeyPath"] = Path.Combine(directory, "tls.key") } } };
        await using var gateway = await TestGateway.StartAsync(section, Proxy("app.test"));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(gateway));

        var secondData = Directory.CreateDirectory(Path.Combine(directory, "..2026_11_28_2")).FullName;
        File.Copy(second.CertificatePath, Path.Combine(secondData, "tls.crt"));
        File.Copy(second.KeyPath, Path.Combine(secondData, "tls.key"));
        await SwapDataLinkAsync(directory, secondData);

        await Poll.UntilAsync(() => gateway.Generations.Current.Number >= 2 && gateway.Generations.LastFailure is null, "the swapped Secret is reloaded");
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(gateway));
    }

    /// <summary>Points <paramref name="directory"/>/..data at <paramref name="target"/> in one rename, as the kubelet does.</summary>
    private static async Task SwapDataLinkAsync(string directory, string target)
    {
        File.CreateSymbolicLink(Path.Combine(directory, "..data_tmp"), target);
        // rename(2) over the old link (File.Move will not rename a link to a directory).
        using var rename = System.Diagnostics.Process.Start("mv", ["-T", Path.Combine(directory, "..data_tmp"), Path.Combine(directory, "..data")]);
        await rename.WaitForExitAsync();
        Assert.Equal(0, rename.ExitCode);
    }

    [Fact]
    public async Task A_saved_edit_applies_within_two_seconds_and_open_tunnels_survive_it()
    {
        await using var gateway = await TestGateway.StartAsync(Gateway("raw.test"), Proxy("app.test"));
        using var tunnel = await OpenTunnelAsync(gateway, "raw.test");

        await gateway.WriteConfigAsync(Gateway("raw2.test"), Proxy("app2.test"));
        var written = DateTime.UtcNow;
        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the edit is applied", TimeSpan.FromSeconds(2));
        Assert.True(DateTime.UtcNow - written < TimeSpan.FromSeconds(2));

        await AssertServesAsync(gateway, "raw2.test", "app2.test");
        await AssertNotPassthroughAsync(gateway, "raw.test");
        await AssertEchoAsync(tunnel, "the route is gone, the tunnel is not"u8.ToArray());
    }

    [Fact]
    public async Task Saving_the_file_unchanged_after_a_certificate_renewal_serves_the_new_certificate()
    {
        var (first, second) = (TestCertificates.Get("app.test"), TestCertificates.Get("renewed.app.test"));
        var (directory, section) = CertificateFilesConfig(first);
        await using var gateway = await TestGateway.StartAsync(section, Proxy("app.test"));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(gateway));

        File.Copy(second.CertificatePath, Path.Combine(directory, "cert.pem"), overwrite: true);
        File.Copy(second.KeyPath, Path.Combine(directory, "key.pem"), overwrite: true);
        await gateway.WriteConfigAsync(section, Proxy("app.test"));

        await Poll.UntilAsync(() => gateway.Generations.Current.Number == 2, "the unchanged file is reloaded");
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(gateway));
    }

    [Fact]
    public async Task A_certificate_replaced_on_disk_is_served_without_touching_the_config_file()
    {
        var (first, second) = (TestCertificates.Get("app.test"), TestCertificates.Get("renewed.app.test"));
        var (directory, section) = CertificateFilesConfig(first);
        await using var gateway = await TestGateway.StartAsync(section, Proxy("app.test"));
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(gateway));

        // As renewal tools do: each file written aside, then renamed over the old one.
        foreach (var (from, to) in new[] { (second.KeyPath, "key.pem"), (second.CertificatePath, "cert.pem") })
        {
            File.Copy(from, Path.Combine(directory, to + ".new"));
            File.Move(Path.Combine(directory, to + ".new"), Path.Combine(directory, to), overwrite: true);
        }

        await Poll.UntilAsync(() => gateway.Generations.Current.Number >= 2 && gateway.Generations.LastFailure is null, "the certificate files are reloaded");
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(gateway));
    }

    /// <summary>A gateway section serving app.test with a copy of <paramref name="certificate"/>'s files in a folder of its own.</summary>
    private (string Directory, JsonObject Section) CertificateFilesConfig(TestCertificate certificate)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-renew-").FullName;
        File.Copy(certificate.CertificatePath, Path.Combine(directory, "cert.pem"));
        File.Copy(certificate.KeyPath, Path.Combine(directory, "key.pem"));
        var section = Gateway("raw.test");
        section["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = Path.Combine(directory, "cert.pem"), ["KeyPath"] = Path.Combine(directory, "key.pem") } } };
        return (directory, section);
    }

    private static async Task<string?> ServedThumbprintAsync(TestGateway gateway)
    {
        using var client = new GatewayClient(gateway.Https);
        using var response = await client.Http.GetAsync(client.Url("app.test"));
        return client.ServerCertificateThumbprint;
    }

    [Fact]
    public async Task Tunnels_of_a_removed_route_are_closed_after_CloseRemovedAfter()
    {
        var initial = Gateway("raw.test");
        initial["Reload"] = new JsonObject { ["CloseRemovedAfter"] = "200ms" };
        await using var gateway = await TestGateway.StartAsync(initial, Proxy("app.test"));
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        using var tunnel = await OpenTunnelAsync(gateway, "raw.test");

        var next = Gateway("other.test", routeId: "other");
        next["Reload"] = new JsonObject { ["CloseRemovedAfter"] = "200ms" };
        await gateway.WriteConfigAsync(next, Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());

        await TunnelTests.WaitForCloseAsync(tunnel);
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 0, "the removed route's tunnel is closed");
    }

    [Fact]
    public async Task A_listener_change_is_reported_and_the_rest_of_the_edit_applies()
    {
        await using var gateway = await TestGateway.StartAsync(Gateway("raw.test"), Proxy("app.test"));
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        var running = gateway.Generations.Current.Get<ListenersConfig>();
        var next = Gateway("raw2.test");
        next["Listeners"] = new JsonObject { ["Https"] = "127.0.0.1:1", ["Http"] = "127.0.0.1:2", ["Admin"] = "127.0.0.1:0" };

        await gateway.WriteConfigAsync(next, Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());

        Assert.Equal(running, gateway.Generations.Current.Get<ListenersConfig>());
        await AssertServesAsync(gateway, "raw2.test", "app.test");
    }

    [Fact]
    public async Task A_stream_moved_by_a_reload_keeps_its_bound_address_and_the_move_is_reported_as_needing_a_restart()
    {
        var logs = new CapturedLogs();
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(WithStream(Gateway("raw.test"), "127.0.0.1:0"), Proxy("app.test")));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        var bound = gateway.Generations.Current.Get<PassthroughConfig>().Streams["plain"].Listen;

        await gateway.WriteConfigAsync(WithStream(Gateway("raw2.test"), "127.0.0.1:1"), Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());

        // What the generation (and /stats) says is what is bound; the rest of the edit applied.
        Assert.Equal(bound, gateway.Generations.Current.Get<PassthroughConfig>().Streams["plain"].Listen);
        Assert.Contains(logs.Entries, e => e.Event.Name == "RestartNeeded" && e.Message.Contains("Gateway:Passthrough:Streams", StringComparison.Ordinal)
            && e.Message.Contains("127.0.0.1:1", StringComparison.Ordinal));
        await AssertServesAsync(gateway, "raw2.test", "app.test");
        using var stream = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await stream.ConnectAsync(gateway.Services.GetRequiredService<GatewayListeners>().Stream("plain")!);
        await AssertEchoAsync(stream, "still on the bound port"u8.ToArray());
    }

    [Fact]
    public async Task A_change_to_http_limits_or_the_shutdown_timeout_is_reported_as_needing_a_restart_and_the_running_values_stay()
    {
        var logs = new CapturedLogs();
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(Gateway("raw.test"), Proxy("app.test")));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();
        var running = gateway.Generations.Current.Get<Gateway.Limits.LimitsConfig>().Http;
        var next = Gateway("raw2.test");
        next["Limits"] = new JsonObject { ["Http"] = new JsonObject { ["MaxRequestHeaderCount"] = 20 } };
        next["ShutdownTimeout"] = "5s";

        await gateway.WriteConfigAsync(next, Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());

        var restart = logs.Entries.Where(e => e.Event.Name == "RestartNeeded").Select(e => e.Message).ToList();
        Assert.Contains(restart, m => m.StartsWith("Gateway:Limits:Http:MaxRequestHeaderCount: 100 -> 20", StringComparison.Ordinal));
        Assert.Contains(restart, m => m.StartsWith("Gateway:ShutdownTimeout: 00:00:30 -> 00:00:05", StringComparison.Ordinal));
        Assert.Equal(2, restart.Count);
        Assert.Equal(running, gateway.Generations.Current.Get<Gateway.Limits.LimitsConfig>().Http);
        await AssertServesAsync(gateway, "raw2.test", "app.test");
    }

    [Fact]
    public async Task A_stream_added_by_a_reload_and_removed_by_the_next_needs_no_restart_the_second_time()
    {
        var logs = new CapturedLogs();
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(Gateway("raw.test"), Proxy("app.test")));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);
        var reloader = gateway.Services.GetRequiredService<ConfigReloader>();

        await gateway.WriteConfigAsync(WithStream(Gateway("raw.test"), "127.0.0.1:1"), Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());
        Assert.Single(logs.Entries, e => e.Event.Name == "RestartNeeded" && e.Message.Contains("plain=127.0.0.1:1", StringComparison.Ordinal));

        await gateway.WriteConfigAsync(Gateway("raw2.test"), Proxy("app.test"));
        Assert.True(await reloader.ReloadAsync());

        // Nothing listens for the stream, so taking it out again is no change to what is bound.
        Assert.Single(logs.Entries, e => e.Event.Name == "RestartNeeded");
        Assert.Empty(gateway.Generations.Current.Get<PassthroughConfig>().Streams);
        await AssertServesAsync(gateway, "raw2.test", "app.test");
    }

    private static JsonObject WithStream(JsonObject gateway, string listen)
    {
        gateway["Passthrough"]!["Streams"] = new JsonObject { ["plain"] = new JsonObject { ["Listen"] = listen, ["ClusterId"] = "raw" } };
        return gateway;
    }

    internal JsonObject Gateway(string passthroughHost, string routeId = "raw") => new()
    {
        ["Passthrough"] = new JsonObject
        {
            ["Routes"] = new JsonObject { [routeId] = new JsonObject { ["Hosts"] = new JsonArray(passthroughHost), ["ClusterId"] = "raw" } },
            ["Clusters"] = new JsonObject
            {
                ["raw"] = new JsonObject { ["Destinations"] = new JsonObject { ["raw01"] = new JsonObject { ["Address"] = _echo.Address } } },
            },
        },
    };

    internal JsonObject Proxy(string host) => new()
    {
        ["Routes"] = new JsonObject
        {
            ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray(host), ["Path"] = "{**catch-all}" } },
        },
        ["Clusters"] = new JsonObject
        {
            ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{_app.Address}/" } } },
        },
    };

    internal static async Task AssertServesAsync(TestGateway gateway, string passthroughHost, string appHost)
    {
        using var tunnel = await OpenTunnelAsync(gateway, passthroughHost);
        await AssertEchoAsync(tunnel, "ping"u8.ToArray());
        using var client = new GatewayClient(gateway.Https);
        using var response = await client.Http.GetAsync(client.Url(appHost));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("app ", await response.Content.ReadAsStringAsync());
    }

    /// <summary>The host is terminated (L7) now: the gateway answers the hello with its own TLS, not the echo backend.</summary>
    private static async Task AssertNotPassthroughAsync(TestGateway gateway, string host)
    {
        using var client = new GatewayClient(gateway.Https);
        using var response = await client.Http.GetAsync(client.Url(host));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }

    internal static async Task<Socket> OpenTunnelAsync(TestGateway gateway, string host)
    {
        var socket = await TunnelTests.ConnectAsync(gateway);
        var hello = RealClientHello.Capture(host);
        await socket.SendAsync(hello);
        await ReceiveExactlyAsync(socket, hello.Length);
        return socket;
    }

    internal static async Task AssertEchoAsync(Socket tunnel, byte[] message)
    {
        await tunnel.SendAsync(message);
        Assert.Equal(message, await ReceiveExactlyAsync(tunnel, message.Length));
    }

    private static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[count];
        for (var received = 0; received < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, guard.Token);
            Assert.True(n > 0, "the tunnel closed");
            received += n;
        }

        return buffer;
    }
}
