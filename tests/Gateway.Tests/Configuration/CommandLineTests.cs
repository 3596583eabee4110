using Gateway.Hosting;

namespace Gateway.Tests.Configuration;

public sealed class CommandLineTests
{
    [Fact]
    public void No_arguments_serve_the_appsettings_json_of_the_working_directory()
    {
        var commandLine = CommandLine.Parse([]);

        Assert.Equal(GatewayCommand.Serve, commandLine.Command);
        Assert.Equal(Path.GetFullPath("appsettings.json"), commandLine.ConfigFile);
        Assert.Empty(commandLine.Remaining);
    }

    [Theory]
    [InlineData(nameof(GatewayCommand.Check), "--check")]
    [InlineData(nameof(GatewayCommand.Check), "--config", "/etc/gateway/appsettings.json", "--check")]
    [InlineData(nameof(GatewayCommand.Check), "--check", "--config=/etc/gateway/appsettings.json", "--Gateway:Listeners:Https=127.0.0.1:443")]
    [InlineData(nameof(GatewayCommand.HashPassword), "--hash-password")]
    [InlineData(nameof(GatewayCommand.Version), "--version")]
    [InlineData(nameof(GatewayCommand.Help), "--help")]
    [InlineData(nameof(GatewayCommand.Help), "-h")]
    [InlineData(nameof(GatewayCommand.Help), "--check", "--help")]
    [InlineData(nameof(GatewayCommand.Help), "--config", "x.json", "-h", "--Gateway:ClientHello:MaxBytes=4096")]
    [InlineData(nameof(GatewayCommand.Serve), "--config", "/etc/gateway/appsettings.json")]
    public void Known_flags_choose_what_to_do(string command, params string[] args)
    {
        Assert.Equal(command, CommandLine.Parse(args).Command.ToString());
    }

    [Theory]
    [InlineData("--config", "/etc/gateway/appsettings.json")]
    [InlineData("--config=/etc/gateway/appsettings.json")]
    public void The_config_file_is_given_either_way(params string[] args)
    {
        Assert.Equal("/etc/gateway/appsettings.json", CommandLine.Parse(args).ConfigFile);
    }

    [Theory]
    [InlineData("--Gateway:Listeners:Https=0.0.0.0:443")]
    [InlineData("--Gateway:Listeners:Https", "0.0.0.0:443")]
    [InlineData("--gateway:listeners:https=0.0.0.0:443")]
    [InlineData("--ReverseProxy:Routes:app:Match:Path={**catch-all}")]
    [InlineData("--Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics=Information")]
    [InlineData("--Gateway:Proxy:Routes:app:Users:alice:PasswordHash=a=b:c")]
    [InlineData("--Gateway:Listeners:Http=")]
    [InlineData("--Gateway:Listeners:Http", "-")]
    public void Configuration_overrides_pass_through_as_written(params string[] args)
    {
        var commandLine = CommandLine.Parse(["--config", "x.json", .. args, "--check"]);

        Assert.Equal(args, commandLine.Remaining);
        Assert.Equal(GatewayCommand.Check, commandLine.Command);
    }

    [Fact]
    public void Overrides_of_different_keys_all_apply()
    {
        var commandLine = CommandLine.Parse(["--Gateway:Listeners:Https=127.0.0.1:443", "--Gateway:Listeners:Http", "off", "--Gateway:ClientHello:MaxBytes=4096"]);

        Assert.Equal(["--Gateway:Listeners:Https=127.0.0.1:443", "--Gateway:Listeners:Http", "off", "--Gateway:ClientHello:MaxBytes=4096"], commandLine.Remaining);
    }

    [Theory]
    // Typos of --check: never a setting nobody reads, never serving instead of checking.
    [InlineData("unknown argument '--chek' (did you mean --check?)", "--chek")]
    [InlineData("unknown argument '-check' (did you mean --check?)", "-check")]
    [InlineData("unknown argument '--Check' (did you mean --check?)", "--Check")]
    [InlineData("unknown argument '--CHECK' (did you mean --check?)", "--CHECK")]
    [InlineData("unknown argument 'check' (did you mean --check?)", "check")]
    [InlineData("unknown argument '/check' (did you mean --check?)", "/check")]
    [InlineData("unknown argument '--cehck' (did you mean --check?)", "--cehck")]
    [InlineData("unknown argument '---check' (did you mean --check?)", "---check")]
    [InlineData("unknown argument '--check=yes': --check takes no value", "--check=yes")]
    [InlineData("--check is given twice", "--check", "--check")]
    // --config
    [InlineData("--config needs a file name: --config /etc/gateway/appsettings.json", "--config")]
    [InlineData("--config needs a file name: --config /etc/gateway/appsettings.json", "--config", "--check")]
    [InlineData("--config needs a file name: --config /etc/gateway/appsettings.json", "--config=")]
    [InlineData("--config needs a file name: --config /etc/gateway/appsettings.json", "--config", "")]
    [InlineData("--config is given twice: there is one config file", "--config", "a.json", "--config", "b.json")]
    [InlineData("--config is given twice: there is one config file", "--config=a.json", "--config", "a.json")]
    [InlineData("unknown argument '--conifg' (did you mean --config?)", "--conifg", "a.json")]
    [InlineData("unknown argument '-c'", "-c", "a.json")]
    // The other flags
    [InlineData("unknown argument '--hlep' (did you mean --help?)", "--hlep")]
    [InlineData("unknown argument 'help' (did you mean --help?)", "help")]
    [InlineData("unknown argument '-H' (did you mean -h?)", "-H")]
    [InlineData("unknown argument '--verison' (did you mean --version?)", "--verison")]
    [InlineData("unknown argument '-v'", "-v")]
    [InlineData("unknown argument '--hash-pasword' (did you mean --hash-password?)", "--hash-pasword")]
    [InlineData("--check and --hash-password cannot be combined: give one of them", "--check", "--hash-password")]
    [InlineData("--version and --check cannot be combined: give one of them", "--version", "--check")]
    [InlineData("--version takes no other arguments", "--version", "--config", "a.json")]
    [InlineData("--hash-password takes no other arguments", "--hash-password", "--Gateway:X=1")]
    [InlineData("unknown argument '--'", "--")]
    [InlineData("unknown argument '-'", "-")]
    [InlineData("unknown argument 'appsettings.json'", "appsettings.json")]
    // What ASP.NET Core would have read as settings no section of Gateway's holds, or silently dropped
    [InlineData("unknown argument '--urls=http://0.0.0.0:80'", "--urls=http://0.0.0.0:80")]
    [InlineData("unknown argument '--environment'", "--environment", "Production")]
    [InlineData("unknown argument 'Gateway:Listeners:Https=0.0.0.0:443': a configuration override starts with two dashes, --Gateway:Listeners:Https=0.0.0.0:443", "Gateway:Listeners:Https=0.0.0.0:443")]
    [InlineData("unknown argument '/Gateway:Listeners:Https=0.0.0.0:443': a configuration override starts with two dashes, --Gateway:Listeners:Https=0.0.0.0:443", "/Gateway:Listeners:Https=0.0.0.0:443")]
    [InlineData("unknown argument '-Gateway:Listeners:Https=0.0.0.0:443': a configuration override starts with two dashes, --Gateway:Listeners:Https=0.0.0.0:443", "-Gateway:Listeners:Https=0.0.0.0:443")]
    [InlineData("unknown argument '--Gateway__Listeners__Https=0.0.0.0:443': on the command line levels are separated by ':' (--Gateway:Listeners:Https=0.0.0.0:443); '__' is for environment variables", "--Gateway__Listeners__Https=0.0.0.0:443")]
    [InlineData("--Gatway:Listeners:Https=0.0.0.0:443: Gateway reads no section 'Gatway' (did you mean Gateway?); overrides go to Gateway, ReverseProxy, Logging", "--Gatway:Listeners:Https=0.0.0.0:443")]
    [InlineData("--Kestrel:Endpoints:Http:Url=http://0.0.0.0:80: Gateway reads no section 'Kestrel'; overrides go to Gateway, ReverseProxy, Logging", "--Kestrel:Endpoints:Http:Url=http://0.0.0.0:80")]
    [InlineData("--Gateway::Listeners=x: a configuration key is names separated by single ':', e.g. --Gateway:Listeners:Https=0.0.0.0:443", "--Gateway::Listeners=x")]
    [InlineData("--:Gateway=x: a configuration key is names separated by single ':', e.g. --Gateway:Listeners:Https=0.0.0.0:443", "--:Gateway=x")]
    [InlineData("--Gateway:Listeners:=x: a configuration key is names separated by single ':', e.g. --Gateway:Listeners:Https=0.0.0.0:443", "--Gateway:Listeners:=x")]
    [InlineData("--Gateway: Listeners=x: a configuration key is names separated by single ':', e.g. --Gateway:Listeners:Https=0.0.0.0:443", "--Gateway: Listeners=x")]
    [InlineData("--Gateway:Listeners:Https needs a value: --Gateway:Listeners:Https=VALUE or --Gateway:Listeners:Https VALUE", "--Gateway:Listeners:Https")]
    [InlineData("--Gateway:Listeners:Https needs a value: --Gateway:Listeners:Https=VALUE or --Gateway:Listeners:Https VALUE", "--Gateway:Listeners:Https", "--check")]
    [InlineData("--Gateway:Listeners:Https is given twice: give each setting once", "--Gateway:Listeners:Https=a", "--Gateway:Listeners:Https=b")]
    [InlineData("--gateway:listeners:HTTPS is given twice: give each setting once", "--Gateway:Listeners:Https", "a", "--gateway:listeners:HTTPS=b")]
    public void Anything_else_is_refused_with_what_to_write_instead(string message, params string[] args)
    {
        var e = Assert.Throws<CommandLineException>(() => CommandLine.Parse(args));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task Help_lists_every_flag_the_overrides_and_the_exit_codes()
    {
        var (exitCode, output, error) = await RunAsync("--help");

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Empty(error);
        AssertDescribesEverything(output);
    }

    [Fact]
    public async Task Version_is_the_assembly_informational_version_with_the_runtime()
    {
        var (exitCode, output, _) = await RunAsync("--version");

        Assert.Equal(ExitCodes.Ok, exitCode);
        var version = typeof(GatewayCli).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;
        Assert.StartsWith($"Gateway {version} (.NET ", output, StringComparison.Ordinal);
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        Assert.Equal(1, output.Count(c => c == '\n'));
    }

    [Fact]
    public async Task An_unknown_flag_gets_the_usage_on_standard_error_and_exit_code_2()
    {
        var (exitCode, output, error) = await RunAsync("--chek");

        Assert.Equal(ExitCodes.Invalid, exitCode);
        Assert.Empty(output);
        Assert.StartsWith("Gateway: unknown argument '--chek' (did you mean --check?)", error, StringComparison.Ordinal);
        Assert.Contains("Usage:", error, StringComparison.Ordinal);
        Assert.Contains("Gateway --check [--config FILE]", error, StringComparison.Ordinal);
    }

    /// <summary>Every flag the parser knows, the override spellings and each exit code with its meaning.</summary>
    internal static void AssertDescribesEverything(string help)
    {
        foreach (var flag in new[] { "--config FILE", "--config=FILE", "--check", "--hash-password", "--version", "-h, --help" })
        {
            Assert.Contains(flag, help, StringComparison.Ordinal);
        }

        Assert.Contains("--Section:Key=VALUE or --Section:Key VALUE", help, StringComparison.Ordinal);
        Assert.Contains("Gateway__Listeners__Https=", help, StringComparison.Ordinal);
        Assert.Contains("Gateway, ReverseProxy, Logging", help, StringComparison.Ordinal);
        foreach (var code in new[] { ExitCodes.Ok, ExitCodes.Failure, ExitCodes.Invalid, ExitCodes.MachineRefused })
        {
            Assert.Matches($@"(?m)^  {code} +\S", help);
        }
    }

    [Fact]
    public async Task A_folder_given_as_the_config_file_exits_2_saying_it_is_a_folder()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-config-folder-").FullName;

        var (exitCode, _, error) = await RunAsync("--config", folder);

        Assert.Equal(ExitCodes.Invalid, exitCode);
        Assert.Contains($"'{folder}' is a folder, not a file", error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await GatewayCli.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
