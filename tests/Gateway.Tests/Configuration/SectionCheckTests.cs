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
    public async Task An_unknown_socket_engine_in_the_environment_is_a_wrong_setting_exit_2_not_a_crash()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-check-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(null, null));

        var (exitCode, _, error) = await GatewayProcess.RunAsync(directory, new Dictionary<string, string> { ["GATEWAY_SOCKET_ENGINE"] = "iouring" }, CancellationToken.None);

        Assert.Equal(2, exitCode);
        Assert.Equal("GATEWAY_SOCKET_ENGINE is 'iouring': use 'epoll' or 'dotnet', or leave it unset for the best one here", error.Trim());
    }
}
