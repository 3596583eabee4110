using System.Net;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Hosting;
using Gateway.Sockets;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real gateway in this process, configured through a real config file, listening on loopback port 0.
/// </summary>
/// <remarks>
/// Its socket engine is the one <c>GATEWAY_TEST_SOCKET_ENGINE</c> names (<c>epoll</c> or <c>dotnet</c>), as
/// <c>GATEWAY_SOCKET_ENGINE</c> names an operator's; unset, the gateway's own default. scripts/test.sh runs the tests of
/// <see cref="BothEngines"/> a second time on .NET's sockets.
/// </remarks>
public sealed class TestGateway : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestGateway(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
    }

    public string Directory { get; }

    public IPEndPoint Https => _app.Services.GetRequiredService<GatewayListeners>().Https!;

    public IPEndPoint Http => _app.Services.GetRequiredService<GatewayListeners>().Http!;

    public IPEndPoint Admin => _app.Services.GetRequiredService<GatewayListeners>().Admin!;

    public IServiceProvider Services => _app.Services;

    internal int ActiveTunnels => _app.Services.GetRequiredService<TunnelHandler>().ActiveTunnels;

    /// <summary>Starts a gateway; <paramref name="gateway"/> is merged into a minimal loopback "Gateway" section.</summary>
    public static async Task<TestGateway> StartAsync(JsonObject? gateway = null, JsonObject? reverseProxy = null, params string[] args)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), Compose(gateway, reverseProxy));
        return await StartInAsync(directory, null, args);
    }

    /// <summary>Starts a gateway on the config file already in <paramref name="directory"/> (a restart keeps what it stored there).</summary>
    public static async Task<TestGateway> StartInAsync(string directory, TimeProvider? time, params string[] args) =>
        await StartInAsync(directory, time, null, args);

    /// <param name="logs">Receives what the gateway logs, at the levels the config's Logging section lets through.</param>
    internal static Task<TestGateway> StartInAsync(string directory, TimeProvider? time, CapturedLogs? logs, params string[] args) =>
        LaunchAsync(directory, time, logs, Environment.GetEnvironmentVariable("GATEWAY_TEST_SOCKET_ENGINE") is { Length: > 0 } choice ? SocketEngines.Shared(choice) : null, args);

    /// <summary>Starts a gateway on <paramref name="engine"/>, whatever the environment says.</summary>
    internal static async Task<TestGateway> StartOnAsync(SocketEngine engine, JsonObject? gateway = null, JsonObject? reverseProxy = null, CapturedLogs? logs = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("gateway-test-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), Compose(gateway, reverseProxy));
        return await LaunchAsync(directory, null, logs, engine, []);
    }

    private static async Task<TestGateway> LaunchAsync(string directory, TimeProvider? time, CapturedLogs? logs, SocketEngine? engine, string[] args)
    {
        var app = await GatewayApplication.BuildAsync(["--config", Path.Combine(directory, "appsettings.json"), .. args], time, logs, engine);
        await app.StartAsync();
        return new TestGateway(app, directory);
    }

    public string ConfigFile => Path.Combine(Directory, "appsettings.json");

    internal GenerationStore Generations => _app.Services.GetRequiredService<GenerationStore>();

    /// <summary>Rewrites the config file the way an editor saves it (write a temporary file, rename over).</summary>
    public async Task WriteConfigAsync(JsonObject? gateway, JsonObject? reverseProxy, string? raw = null)
    {
        var temporary = ConfigFile + ".tmp";
        await File.WriteAllTextAsync(temporary, raw ?? Compose(gateway, reverseProxy));
        File.Move(temporary, ConfigFile, overwrite: true);
    }

    /// <summary>A gateway's config file: <paramref name="gateway"/> merged over loopback port-0 listeners.</summary>
    public static string Compose(JsonObject? gateway, JsonObject? reverseProxy)
    {
        var section = new JsonObject
        {
            ["Listeners"] = new JsonObject { ["Https"] = "127.0.0.1:0", ["Http"] = "127.0.0.1:0", ["Admin"] = "127.0.0.1:0" },
        };
        foreach (var (key, value) in gateway ?? [])
        {
            section[key] = value?.DeepClone();
        }

        var root = new JsonObject
        {
            ["Gateway"] = section,
            ["ReverseProxy"] = reverseProxy?.DeepClone() ?? new JsonObject(),
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning", ["Gateway"] = Environment.GetEnvironmentVariable("GATEWAY_TEST_LOG") ?? "Warning" } },
        };
        return root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Stops as the host does on SIGTERM (bounded by Gateway:ShutdownTimeout).</summary>
    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await _app.StopAsync(stop.Token);
        }

        await _app.DisposeAsync();
    }

    private int _disposed;
}
