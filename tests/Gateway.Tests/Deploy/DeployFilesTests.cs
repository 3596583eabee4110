using System.Diagnostics;
using Gateway.Hosting;
using Gateway.Tests.Configuration;

namespace Gateway.Tests.Deploy;

public sealed class DeployFilesTests
{
    private static readonly string Root = CheckTests.RepositoryRoot();

    [Fact]
    public async Task The_systemd_unit_passes_systemd_analyze_verify()
    {
        const string Analyzer = "/usr/bin/systemd-analyze";
        if (!File.Exists(Analyzer))
        {
            return; // not a systemd machine: nothing to verify against
        }

        var start = new ProcessStartInfo(Analyzer, ["verify", Path.Combine(Root, "deploy", "gateway.service")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        // Complaints about the executables only mean .NET or the build is installed elsewhere on this machine.
        var complaints = errors.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.Contains("/usr/bin/dotnet", StringComparison.Ordinal) && !line.Contains("/opt/gateway", StringComparison.Ordinal)).ToList();
        Assert.True(complaints.Count == 0, string.Join("\n", complaints));
    }

    [Fact]
    public void The_unit_is_hardened_and_notifies_readiness()
    {
        var unit = File.ReadAllLines(Path.Combine(Root, "deploy", "gateway.service")).Select(l => l.Trim()).ToHashSet();

        Assert.Contains("Type=notify", unit);
        Assert.Contains("AmbientCapabilities=CAP_NET_BIND_SERVICE", unit);
        Assert.Contains("NoNewPrivileges=true", unit);
        Assert.Contains("ProtectSystem=strict", unit);
        Assert.Contains("StateDirectory=gateway", unit);
        Assert.Contains(unit, line => line.StartsWith("User=", StringComparison.Ordinal) && line != "User=root");
        Assert.Contains(unit, line => line.StartsWith("LimitNOFILE=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(ExitCodes.Ok, false)]
    [InlineData(ExitCodes.Failure, true)]
    [InlineData(ExitCodes.Invalid, false)]
    [InlineData(ExitCodes.MachineRefused, true)]
    public void Systemd_restarts_on_the_exit_codes_that_a_restart_can_fix(int exitCode, bool restarted)
    {
        var unit = File.ReadAllLines(Path.Combine(Root, "deploy", "gateway.service")).Select(l => l.Trim()).ToList();

        Assert.Equal(restarted, SystemdRestarts(unit, exitCode));
    }

    [Fact]
    public void A_bad_config_is_refused_by_the_main_process_where_systemd_reads_its_exit_code()
    {
        var unit = File.ReadAllLines(Path.Combine(Root, "deploy", "gateway.service")).Select(l => l.Trim()).ToList();

        // RestartPreventExitStatus applies to the main process only: a failing ExecStartPre would be restarted.
        Assert.DoesNotContain(unit, line => line.StartsWith("ExecStartPre=", StringComparison.Ordinal) && line.Contains("--check", StringComparison.Ordinal));
        Assert.Contains(unit, line => line.StartsWith("ExecStart=", StringComparison.Ordinal) && !line.Contains("--check", StringComparison.Ordinal));
        // Restarts on a refused port go on until it is free (the default start limit would give up after five).
        Assert.Contains("StartLimitIntervalSec=0", unit);
    }

    /// <summary>systemd.service(5) for a main process that exited with <paramref name="exitCode"/>: the prevent list, then the force list, then Restart=.</summary>
    private static bool SystemdRestarts(List<string> unit, int exitCode)
    {
        IEnumerable<string> Values(string key) => unit.Where(l => l.StartsWith(key + "=", StringComparison.Ordinal))
            .SelectMany(l => l[(key.Length + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var code = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Values("RestartPreventExitStatus").Contains(code))
        {
            return false;
        }

        if (Values("RestartForceExitStatus").Contains(code))
        {
            return true;
        }

        var clean = exitCode == 0 || Values("SuccessExitStatus").Contains(code);
        return Values("Restart").LastOrDefault() switch
        {
            "always" => true,
            "on-success" => clean,
            "on-failure" => !clean,
            _ => false, // no, on-abnormal, on-abort, on-watchdog: never for an exit code
        };
    }

    [Fact]
    public void The_example_config_is_never_loopback_and_the_runnable_config_is_always()
    {
        // The network rule, checked: real addresses only in deploy/, loopback only in what runs here.
        var example = File.ReadAllText(Path.Combine(Root, "deploy", "appsettings.Production.example.json"));
        var runnable = File.ReadAllText(Path.Combine(Root, "appsettings.json"));

        Assert.Contains("\"0.0.0.0:443\"", example, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\b(10|172\.(1[6-9]|2\d|3[01])|192\.168)\.\d+\.\d+", runnable);
        Assert.DoesNotContain("0.0.0.0", runnable, StringComparison.Ordinal);
    }
}
