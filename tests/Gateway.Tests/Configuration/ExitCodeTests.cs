using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>The exit codes systemd sees, from the built program run as a process.</summary>
public sealed class ExitCodeTests
{
    [Fact]
    public async Task Help_in_a_folder_with_an_appsettings_json_prints_the_help_and_serves_nothing()
    {
        using var held = Hold();
        var folder = await FolderWithConfigAsync(Listeners(https: held.Port));

        foreach (var flag in new[] { "--help", "-h" })
        {
            var (exitCode, output, error) = await GatewayProcess.RunAsync(folder, flag);

            Assert.True(exitCode == ExitCodes.Ok, $"{flag}: exit code {exitCode}\n{output}{error}");
            CommandLineTests.AssertDescribesEverything(output);
        }
    }

    [Fact]
    public async Task Version_prints_one_line_and_exits_0()
    {
        using var held = Hold();
        var folder = await FolderWithConfigAsync(Listeners(https: held.Port));

        var (exitCode, output, _) = await GatewayProcess.RunAsync(folder, "--version");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Matches(@"^Gateway \d+\.\d+\.\d+\S* \(\.NET \d+\.\d+\.\d+.*\)\n$", output);
    }

    /// <summary>
    /// The default file's HTTPS port is taken: a gateway that bound before reading the whole command line would exit
    /// 71, and one that served would not exit at all.
    /// </summary>
    [Theory]
    [InlineData("--chek")]
    [InlineData("-check")]
    [InlineData("--Check")]
    [InlineData("check")]
    [InlineData("--config")]
    [InlineData("--Gateway__Listeners__Https=127.0.0.1:0")]
    public async Task An_unknown_flag_exits_2_with_the_usage_before_anything_binds(string flag)
    {
        using var held = Hold();
        var folder = await FolderWithConfigAsync(Listeners(https: held.Port));

        var (exitCode, output, error) = await GatewayProcess.RunAsync(folder, flag);

        Assert.True(exitCode == ExitCodes.Invalid, $"exit code {exitCode}\n{output}{error}");
        Assert.StartsWith("Gateway: ", error, StringComparison.Ordinal);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Cannot start", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_free_port_stays_free_when_the_command_line_is_refused()
    {
        var port = FreePort();
        var folder = await FolderWithConfigAsync(Listeners(https: port));

        using var stop = new CancellationTokenSource();
        var run = GatewayProcess.RunAsync(folder, stop.Token, "--config", Path.Combine(folder, "appsettings.json"), "--chek");
        try
        {
            // Probe while the process lives: nothing may ever accept on the port.
            while (!run.IsCompleted)
            {
                Assert.False(await AcceptsAsync(port), "the refused command line bound the HTTPS listener");
                await Task.Delay(20);
            }
        }
        finally
        {
            // Killed, and waited for, when the probe failed: a serving gateway must not outlive the test.
            await stop.CancelAsync();
            await Task.WhenAny(run);
        }

        Assert.Equal(ExitCodes.Invalid, (await run).ExitCode);
    }

    [Fact]
    public async Task A_bad_config_exits_2()
    {
        var folder = await FolderWithConfigAsync(new JsonObject { ["ClientHello"] = new JsonObject { ["Timeout"] = "soon" } });

        var (exitCode, _, error) = await GatewayProcess.RunAsync(folder);

        Assert.Equal(ExitCodes.Invalid, exitCode);
        Assert.Contains("Gateway:ClientHello:Timeout: 'soon' is not a duration", error, StringComparison.Ordinal);
    }

    /// <summary>The console logger would throw building its options: a crash (exit 1) that systemd restarts for ever.</summary>
    [Fact]
    public async Task A_console_logging_value_the_logger_refuses_exits_2_without_a_stack_trace()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-exit-").FullName;
        var root = JsonNode.Parse(TestGateway.Compose(null, null))!.AsObject();
        root["Logging"]!["Console"] = new JsonObject { ["FormatterOptions"] = new JsonObject { ["ColorBehavior"] = "Sometimes" } };
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), root.ToJsonString());

        var (exitCode, output, error) = await GatewayProcess.RunAsync(folder);

        Assert.Equal(ExitCodes.Invalid, exitCode);
        Assert.Contains("Logging:Console:FormatterOptions:ColorBehavior: 'Sometimes' is not one of", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("--check")]
    public async Task A_json_error_in_the_default_file_exits_2_with_its_line_and_column_and_no_stack_trace(string? check)
    {
        var folder = Directory.CreateTempSubdirectory("gateway-exit-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), "{\n  \"Gateway\": {\n    \"Listeners\": { \"Https\": \"127.0.0.1:0\", }\n    \"ClientHello\": { }\n  }\n}\n");

        var (exitCode, output, error) = await GatewayProcess.RunAsync(folder, check is null ? [] : [check]);

        Assert.Equal(ExitCodes.Invalid, exitCode);
        var line = $"{Path.Combine(folder, "appsettings.json")}:4:5: not valid JSON: '\"' is invalid after a value. Expected either ',', '}}', or ']' (in Gateway)";
        Assert.Contains(line, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Https")]
    [InlineData("Http")]
    [InlineData("Admin")]
    public async Task A_port_in_use_exits_with_the_machine_refused_code(string listener)
    {
        using var held = Hold();
        var gateway = Listeners();
        gateway["Listeners"]![listener] = $"127.0.0.1:{held.Port}";
        var folder = await FolderWithConfigAsync(gateway);

        var (exitCode, output, error) = await GatewayProcess.RunAsync(folder, "--config", Path.Combine(folder, "appsettings.json"));

        Assert.True(exitCode == ExitCodes.MachineRefused, $"exit code {exitCode}\n{output}{error}");
        Assert.Contains("Cannot start the listeners: ", error, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{held.Port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_does_not_bind_so_a_port_in_use_is_still_a_usable_configuration()
    {
        using var held = Hold();
        var folder = await FolderWithConfigAsync(Listeners(https: held.Port));

        var (exitCode, output, error) = await GatewayProcess.RunAsync(folder, "--check");

        Assert.True(exitCode == ExitCodes.Ok, $"exit code {exitCode}\n{output}{error}");
        Assert.Equal($"{Path.Combine(folder, "appsettings.json")}: ok", output.Trim());
    }

    private static JsonObject Listeners(int https = 0) =>
        new() { ["Listeners"] = new JsonObject { ["Https"] = $"127.0.0.1:{https}", ["Http"] = "127.0.0.1:0", ["Admin"] = "127.0.0.1:0" } };

    private static async Task<string> FolderWithConfigAsync(JsonObject gateway)
    {
        var folder = Directory.CreateTempSubdirectory("gateway-exit-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), TestGateway.Compose(gateway, null));
        return folder;
    }

    /// <summary>A loopback port held by a listener of this process until disposed.</summary>
    private static HeldPort Hold()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new HeldPort(listener);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private sealed class HeldPort(TcpListener listener) : IDisposable
    {
        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public void Dispose() => listener.Dispose();
    }
}
