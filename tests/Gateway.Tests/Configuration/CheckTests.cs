using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

public sealed class CheckTests
{
    [Fact]
    public async Task A_good_file_is_ok_with_exit_code_0_and_nothing_written()
    {
        var file = await WriteAsync(TestGateway.Compose(null, null));

        var (exitCode, output) = await CheckAsync("--check", "--config", file);

        Assert.Equal(0, exitCode);
        Assert.Equal($"{file}: ok", output.Trim());
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(file)!, "certs")), "--check wrote the fallback certificate");
    }

    [Fact]
    public async Task A_bad_file_lists_every_error_with_exit_code_2()
    {
        var file = await WriteAsync(TestGateway.Compose(
            new JsonObject
            {
                ["ClientHello"] = new JsonObject { ["MaxBytes"] = "lots" },
                ["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = "missing.pem", ["KeyPath"] = "missing.key" } } },
            },
            new JsonObject { ["Routes"] = new JsonObject { ["r"] = new JsonObject { ["ClusterId"] = "none", ["Match"] = new JsonObject { ["Path"] = "/{**all}" } } } }));

        var (exitCode, output) = await CheckAsync("--check", "--config", file);

        Assert.Equal(2, exitCode);
        Assert.Contains("Gateway:ClientHello:MaxBytes: 'lots' is not a whole number", output, StringComparison.Ordinal);
        Assert.Contains("Gateway:Tls:Certificates:app.test: cannot read the certificate files", output, StringComparison.Ordinal);
        Assert.Contains("ReverseProxy:Routes:r:ClusterId: cluster 'none' does not exist", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_logging_values_the_logger_would_refuse_are_each_an_error_with_exit_code_2()
    {
        var root = JsonNode.Parse(TestGateway.Compose(null, null))!.AsObject();
        root["Logging"]!["Console"] = new JsonObject
        {
            ["FormatterName"] = "json",
            ["MaxQueueLength"] = "0",
            ["FormatterOptions"] = new JsonObject
            {
                ["ColorBehavior"] = "Sometimes",
                ["JsonWriterOptions"] = new JsonObject { ["Indentd"] = true, ["MaxDepth"] = -1 },
            },
        };
        var file = await WriteAsync(root.ToJsonString());

        var (exitCode, output) = await CheckAsync("--check", "--config", file);

        Assert.Equal(2, exitCode);
        Assert.Contains("Logging:Console:MaxQueueLength: '0' is refused by ASP.NET Core's logging", output, StringComparison.Ordinal);
        Assert.Contains("Logging:Console:FormatterOptions:ColorBehavior: 'Sometimes' is not one of: Default, Enabled, Disabled", output, StringComparison.Ordinal);
        Assert.Contains("Logging:Console:FormatterOptions:JsonWriterOptions:Indentd: unknown key 'Indentd' (did you mean 'Indented'?)", output, StringComparison.Ordinal);
        Assert.Contains("Logging:Console:FormatterOptions:JsonWriterOptions:MaxDepth: '-1' is refused by ASP.NET Core's logging: Max depth must be positive.", output, StringComparison.Ordinal);
        Assert.Equal(4, output.Trim().Split('\n').Length);
    }

    [Fact]
    public async Task The_shipped_appsettings_json_passes_the_check()
    {
        var (exitCode, output) = await CheckAsync("--check", "--config", Path.Combine(RepositoryRoot(), "appsettings.json"));

        Assert.True(exitCode == 0, output);
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<string> WriteAsync(string content)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-check-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, content);
        return file;
    }

    private static async Task<(int ExitCode, string Output)> CheckAsync(params string[] args)
    {
        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(args, output);
        return (exitCode, output.ToString());
    }
}
