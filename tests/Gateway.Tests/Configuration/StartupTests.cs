using System.Diagnostics;
using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Configuration;

public sealed class StartupTests
{
    [Fact]
    public async Task An_invalid_file_fails_fast_with_every_error_and_exit_code_2()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-bad-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, """
            { "Gateway": {
                "Listeners": { "Https": "127.0.0.1:0", "Http": "off" },
                "ClientHello": { "Timeout": "soon" },
                "Passthrough": { "Routes": { "r": { "Hosts": [ "a.test" ], "ClusterId": "missing" } } } } }
            """);

        var (exitCode, output) = await RunGatewayAsync("--config", file);

        Assert.Equal(2, exitCode);
        Assert.Contains("Gateway:ClientHello:Timeout: 'soon' is not a duration", output, StringComparison.Ordinal);
        Assert.Contains("Gateway:Passthrough:Routes:r:ClusterId: cluster 'missing' does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_config_file_is_named_with_exit_code_2()
    {
        var (exitCode, output) = await RunGatewayAsync("--config", "/nonexistent/gateway.json");

        Assert.Equal(2, exitCode);
        Assert.Contains("'/nonexistent/gateway.json' does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_line_overrides_the_file()
    {
        await using var gateway = await TestGateway.StartAsync(null, null, "--Gateway:ClientHello:MaxBytes=4096");

        Assert.Equal(4096, gateway.Services.GetRequiredService<GenerationStore>().Current.Get<ClientHelloConfig>().MaxBytes);
    }

    private static async Task<(int ExitCode, string Output)> RunGatewayAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gateway.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(guard.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

[Collection(SerialTests.Name)]
public sealed class EnvironmentOverrideTests
{
    [Fact]
    public async Task Environment_variables_override_the_file()
    {
        Environment.SetEnvironmentVariable("Gateway__ClientHello__MaxBytes", "2048");
        try
        {
            await using var gateway = await TestGateway.StartAsync(new JsonObject { ["ClientHello"] = new JsonObject { ["MaxBytes"] = 8192 } });

            Assert.Equal(2048, gateway.Services.GetRequiredService<GenerationStore>().Current.Get<ClientHelloConfig>().MaxBytes);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Gateway__ClientHello__MaxBytes", null);
        }
    }
}
