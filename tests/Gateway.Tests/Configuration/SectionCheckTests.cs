using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>Every top-level section and every key of <c>Logging</c> is one Gateway reads, or the file is refused, with a near miss named.</summary>
public sealed class SectionCheckTests
{
    [Theory]
    [InlineData("Gatway", "unknown section 'Gatway' (did you mean 'Gateway'?)")]
    [InlineData("ReverseProxi", "unknown section 'ReverseProxi' (did you mean 'ReverseProxy'?)")]
    [InlineData("Loging", "unknown section 'Loging' (did you mean 'Logging'?)")]
    [InlineData("Routes", "unknown section 'Routes'; Gateway reads: Gateway, $schema, ReverseProxy, Logging")]
    [InlineData("Kestrel", "Gateway binds its own listeners and does not read 'Kestrel': use Gateway:Listeners")]
    [InlineData("AllowedHosts", "Gateway does not read 'AllowedHosts'")]
    public void A_section_nothing_reads_is_refused(string section, string message)
    {
        var generation = ConfigUnderTest.Read(new Dictionary<string, string?> { [section + ":Listeners:Https"] = "127.0.0.1:0" }, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal(section, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_schema_link_and_the_sections_gateway_reads_pass()
    {
        var generation = ConfigUnderTest.Read(
            new Dictionary<string, string?>
            {
                ["$schema"] = "./appsettings.schema.json",
                ["Gateway:Listeners:Https"] = "127.0.0.1:0",
                ["ReverseProxy:Routes"] = null,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Gateway.Edge"] = "debug",
                ["Logging:Console:FormatterName"] = "systemd",
                ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss ",
                ["Logging:Debug:LogLevel:Default"] = "None",
            },
            "/",
            out var errors);

        Assert.True(generation is not null, string.Join("\n", errors.All));
    }

    [Theory]
    [InlineData("Logging:LogLevl:Default", "Warning", "Logging:LogLevl", "(did you mean 'LogLevel'?)")]
    [InlineData("Logging:Consol:FormatterName", "simple", "Logging:Consol", "(did you mean 'Console'?)")]
    [InlineData("Logging:LogLevel:Default", "Informational", "Logging:LogLevel:Default", "'Informational' is not one of: Trace, Debug, Information, Warning, Error, Critical, None")]
    [InlineData("Logging:LogLevel:Gateway:Edge", "Debug", "Logging:LogLevel:Gateway", "a log level is expected here")]
    [InlineData("Logging:Console:FormatterName", "pretty", "Logging:Console:FormatterName", "'pretty' is not one of: simple, json, systemd")]
    [InlineData("Logging:Console:FormatterOptions:SingleLne", "true", "Logging:Console:FormatterOptions:SingleLne", "(did you mean 'SingleLine'?)")]
    [InlineData("Logging:Debug:FormatterName", "simple", "Logging:Debug:FormatterName", "expected one of: LogLevel")]
    public void A_logging_mistake_is_refused_with_its_path(string key, string value, string path, string message)
    {
        var generation = ConfigUnderTest.Read(new Dictionary<string, string?> { [key] = value }, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Values the console logger's own binders refuse: each is one error at its path, never a start that crashes (exit 1,
    /// restarted by systemd) or a reload that fails after its generation is serving.
    /// </summary>
    [Theory]
    [InlineData(null, "Logging:Console:MaxQueueLength", "-5", "is refused by ASP.NET Core's logging")]
    [InlineData(null, "Logging:Console:MaxQueueLength", "0", "is refused by ASP.NET Core's logging")]
    [InlineData(null, "Logging:Console:MaxQueueLength", "abc", "'abc' is not a whole number")]
    [InlineData(null, "Logging:Console:MaxQueueLength", "99999999999", "'99999999999' is out of range for Int32")]
    [InlineData(null, "Logging:Console:FormatterOptions:ColorBehavior", "Sometimes", "'Sometimes' is not one of: Default, Enabled, Disabled")]
    [InlineData(null, "Logging:Console:FormatterOptions:SingleLine", "yes", "'yes' is not true or false")]
    [InlineData(null, "Logging:Console:FormatterOptions:UseUtcTimestamp", "maybe", "'maybe' is not true or false")]
    [InlineData("json", "Logging:Console:FormatterOptions:JsonWriterOptions:Indented", "x", "'x' is not true or false")]
    [InlineData("json", "Logging:Console:FormatterOptions:JsonWriterOptions:MaxDepth", "-1", "Max depth must be positive")]
    [InlineData("json", "Logging:Console:FormatterOptions:JsonWriterOptions:IndentSize", "500", "Indentation size must be between 0 and 127")]
    [InlineData("json", "Logging:Console:FormatterOptions:JsonWriterOptions:Indentd", "true", "unknown key 'Indentd' (did you mean 'Indented'?)")]
    [InlineData(null, "Logging:Console:MaxQueueLength:Size", "5", "a value is expected here, not a section")]
    [InlineData(null, "Logging:Console:FormatterOptions:JsonWriterOptions", "true", "a section is expected here, not a value")]
    public void A_console_option_the_logger_would_refuse_is_one_error_with_its_path(string? formatter, string key, string value, string message)
    {
        var values = new Dictionary<string, string?> { [key] = value };
        if (formatter is not null)
        {
            values["Logging:Console:FormatterName"] = formatter;
        }

        var generation = ConfigUnderTest.Read(values, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal(key.EndsWith(":Size", StringComparison.Ordinal) ? "Logging:Console:MaxQueueLength" : key, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Console_options_the_logger_accepts_pass()
    {
        var generation = ConfigUnderTest.Read(
            new Dictionary<string, string?>
            {
                ["Logging:Console:FormatterName"] = "json",
                ["Logging:Console:MaxQueueLength"] = "5000",
                ["Logging:Console:QueueFullMode"] = "DropWrite",
                ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
                ["Logging:Console:FormatterOptions:ColorBehavior"] = "disabled",
                ["Logging:Console:FormatterOptions:SingleLine"] = "True",
                ["Logging:Console:FormatterOptions:JsonWriterOptions:Indented"] = "true",
                ["Logging:Console:FormatterOptions:JsonWriterOptions:IndentSize"] = "4",
                ["Logging:Console:FormatterOptions:JsonWriterOptions:MaxDepth"] = "16",
            },
            "/",
            out var errors);

        Assert.True(generation is not null, string.Join("\n", errors.All));
    }

    [Theory]
    [InlineData("Timout", "Timeout")]
    [InlineData("Intervall", "Interval")]
    [InlineData("Destination", "Destinations")]
    [InlineData("hosts", null)]
    [InlineData("Certificate", null)]
    [InlineData("X", null)]
    public void A_near_miss_is_suggested_and_nothing_far_is(string typed, string? expected)
    {
        Assert.Equal(expected, NearMiss.Suggest(typed, ["Timeout", "Interval", "Destinations", "Hosts", "Path", "Rise", "Fall"]));
    }

    [Fact]
    public async Task An_environment_variable_for_a_misspelt_section_is_refused_and_others_are_not_read()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-check-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(null, null));
        var environment = new Dictionary<string, string> { ["Gatway__Listeners__Https"] = "127.0.0.1:1", ["SOME_TOOL__SETTING"] = "x" };

        var (exitCode, output, _) = await GatewayProcess.RunAsync(directory, environment, CancellationToken.None, "--check");

        Assert.Equal(2, exitCode);
        Assert.Contains("Gatway: environment variables Gatway__... set a section Gateway does not read (did you mean Gateway__...?)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("SOME_TOOL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_in_a_value_from_the_environment_or_the_command_line_says_where_it_was_set()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-check-").FullName;
        var file = JsonNode.Parse(TestGateway.Compose(null, null))!;
        file["Gateway"]!["Reload"] = new JsonObject { ["Debunce"] = "1s" };
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), file.ToJsonString());
        var environment = new Dictionary<string, string>
        {
            ["Gateway__ClientHello__MaxBytes"] = "lots",
            ["gateway__ClientHello__Timout"] = "5s",
            ["Gateway__Admin__AllowedNetworks__0"] = "everyone",
        };

        var (exitCode, output, _) = await GatewayProcess.RunAsync(directory, environment, CancellationToken.None, "--check", "--Gateway:Limits:MaxConnections=many");
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);

        Assert.Equal(2, exitCode);
        Assert.Single(lines, l => l.StartsWith("Gateway:ClientHello:MaxBytes:", StringComparison.Ordinal) && l.EndsWith("(set by the environment variable Gateway__ClientHello__MaxBytes)", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("Gateway:ClientHello:Timout:", StringComparison.OrdinalIgnoreCase) && l.EndsWith("(set by the environment variable gateway__ClientHello__Timout)", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("Gateway:Admin:AllowedNetworks:0:", StringComparison.Ordinal) && l.EndsWith("(set by the environment variable Gateway__Admin__AllowedNetworks__0)", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("Gateway:Limits:MaxConnections:", StringComparison.Ordinal) && l.EndsWith("(set on the command line)", StringComparison.Ordinal));
        var fromFile = Assert.Single(lines, l => l.StartsWith("Gateway:Reload:Debunce:", StringComparison.Ordinal));
        Assert.DoesNotContain("(set", fromFile, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_socket_engine_in_the_environment_is_a_wrong_setting_exit_2_not_a_crash()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-check-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(null, null));

        var (exitCode, _, error) = await GatewayProcess.RunAsync(directory, new Dictionary<string, string> { ["GATEWAY_SOCKET_ENGINE"] = "iouring" }, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Equal("GATEWAY_SOCKET_ENGINE is 'iouring': use 'epoll' or 'dotnet', or leave it unset for the best one here", error.Trim());
    }
}
