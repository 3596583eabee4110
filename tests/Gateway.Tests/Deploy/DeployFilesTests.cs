using System.Diagnostics;
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
