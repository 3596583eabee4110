using System.Net;
using System.Net.Sockets;
using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Certificates;

/// <summary>The dns-01 providers on their own: RFC 2136 against BIND 9, Exec with small scripts. No CA involved.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AcmeDnsProviderTests
{
    private const string Name = "_acme-challenge.www." + Bind9.Zone;

    [Fact]
    public async Task Rfc2136_finds_the_zone_from_the_soa_and_removes_only_its_own_value()
    {
        await using var bind = await Bind9.StartAsync();
        var provider = Rfc2136(bind, [bind.EndPoint]);

        await provider.PresentAsync(Name, "first", CancellationToken.None);
        await provider.PresentAsync(Name + ".", "second", CancellationToken.None);
        Assert.Equal(["first", "second"], (await bind.TxtAsync(Name)).Order(StringComparer.Ordinal));

        await provider.CleanupAsync(Name, "first", CancellationToken.None);
        Assert.Equal(["second"], await bind.TxtAsync(Name));
        await provider.CleanupAsync(Name, "second", CancellationToken.None);
        Assert.Empty(await bind.TxtAsync(Name));
    }

    /// <summary>Every algorithm Gateway offers is one BIND verifies: a key of each adds and removes a record.</summary>
    [Theory]
    [InlineData("hmac-sha256")]
    [InlineData("hmac-sha512")]
    [InlineData("hmac-sha224")]
    [InlineData("hmac-sha1")]
    [InlineData("hmac-md5")]
    public async Task Rfc2136_signs_with_every_algorithm_offered(string algorithm)
    {
        Assert.Contains(algorithm, AcmeDnsConfig.TsigAlgorithms);
        await using var bind = await Bind9.StartAsync(algorithm);
        var provider = new AcmeRfc2136Provider(new AcmeDnsConfig(AcmeDnsProviderKind.Rfc2136, bind.EndPoint, Bind9.KeyName, algorithm, Convert.FromBase64String(bind.Secret),
            Bind9.Zone, [bind.EndPoint], TimeSpan.FromSeconds(20), null, TimeSpan.FromMinutes(1)), new AcmeDnsPropagation(TimeProvider.System), TimeProvider.System,
            NullLogger<AcmeRfc2136Provider>.Instance);

        await provider.PresentAsync(Name, "value", CancellationToken.None);
        Assert.Equal(["value"], await bind.TxtAsync(Name));
        await provider.CleanupAsync(Name, "value", CancellationToken.None);
        Assert.Empty(await bind.TxtAsync(Name));
    }

    [Fact]
    public async Task Rfc2136_names_the_server_that_never_showed_the_record()
    {
        await using var bind = await Bind9.StartAsync();
        var silent = new IPEndPoint(IPAddress.Loopback, Pebble.FreePort(SocketType.Dgram, ProtocolType.Udp));
        var provider = Rfc2136(bind, [bind.EndPoint, silent], TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<AcmeException>(() => provider.PresentAsync(Name, "value", CancellationToken.None));

        Assert.Contains($"did not show on {silent} within", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(bind.EndPoint.ToString(), error.Message, StringComparison.Ordinal);
        await provider.CleanupAsync(Name, "value", CancellationToken.None);
        Assert.Empty(await bind.TxtAsync(Name));
    }

    [Fact]
    public async Task Rfc2136_says_when_the_server_is_authoritative_for_no_zone_above_the_name()
    {
        await using var bind = await Bind9.StartAsync();
        var provider = Rfc2136(bind, [bind.EndPoint]);

        var error = await Assert.ThrowsAsync<AcmeException>(() => provider.PresentAsync("_acme-challenge.elsewhere.test", "value", CancellationToken.None));

        Assert.Contains("authoritative for no zone above _acme-challenge.elsewhere.test", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateway:Acme:Dns:Zone", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rfc2136_names_an_unknown_tsig_key()
    {
        await using var bind = await Bind9.StartAsync();
        var unknownKey = new AcmeRfc2136Provider(new AcmeDnsConfig(AcmeDnsProviderKind.Rfc2136, bind.EndPoint, "no-such-key", "hmac-sha256", Convert.FromBase64String(bind.Secret),
            Bind9.Zone, [bind.EndPoint], TimeSpan.FromSeconds(20), null, TimeSpan.FromMinutes(1)), new AcmeDnsPropagation(TimeProvider.System), TimeProvider.System,
            NullLogger<AcmeRfc2136Provider>.Instance);

        var error = await Assert.ThrowsAsync<AcmeException>(() => unknownKey.PresentAsync(Name, "value", CancellationToken.None));

        Assert.Contains("BADKEY", error.Message, StringComparison.Ordinal);
        Assert.Contains("TsigKeyName", error.Message, StringComparison.Ordinal);
        Assert.Empty(await bind.TxtAsync(Name));
    }

    [Fact]
    public async Task Exec_failure_gives_the_exit_code_and_the_first_lines_of_standard_error_only()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-hook-").FullName;
        try
        {
            var hook = Script(folder, """
                #!/bin/sh
                i=1
                while [ $i -le 2000 ]; do echo "complaint $i from the registrar API" >&2; i=$((i+1)); done
                exit 3
                """);
            var provider = Exec(hook, TimeSpan.FromSeconds(30));

            var error = await Assert.ThrowsAsync<AcmeException>(() => provider.PresentAsync(Name, "value", CancellationToken.None));

            Assert.Contains($"present {Name}. exited with 3: complaint 1 from the registrar API | complaint 2", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("complaint 6 ", error.Message, StringComparison.Ordinal);
            Assert.True(error.Message.Length < 1000, error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Exec_that_hangs_is_killed_with_its_children_after_the_command_timeout()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-hook-").FullName;
        try
        {
            var pids = Path.Combine(folder, "pids");
            var hook = Script(folder, $$"""
                #!/bin/sh
                sleep 300 &
                echo "$$ $!" > '{{pids}}'
                wait
                """);
            var provider = Exec(hook, TimeSpan.FromSeconds(1));

            var error = await Assert.ThrowsAsync<AcmeException>(() => provider.CleanupAsync(Name, "value", CancellationToken.None));

            Assert.Contains("was still running after 00:00:01 (Gateway:Acme:Dns:CommandTimeout) and was killed", error.Message, StringComparison.Ordinal);
            foreach (var pid in (await File.ReadAllTextAsync(pids)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await Poll.UntilAsync(() => !Directory.Exists("/proc/" + pid) || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal),
                    $"process {pid} is gone");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static AcmeRfc2136Provider Rfc2136(Bind9 bind, IReadOnlyList<IPEndPoint> propagation, TimeSpan? timeout = null) =>
        new(new AcmeDnsConfig(AcmeDnsProviderKind.Rfc2136, bind.EndPoint, Bind9.KeyName, "hmac-sha256", Convert.FromBase64String(bind.Secret), null,
            propagation, timeout ?? TimeSpan.FromSeconds(20), null, TimeSpan.FromMinutes(1)), new AcmeDnsPropagation(TimeProvider.System), TimeProvider.System,
            NullLogger<AcmeRfc2136Provider>.Instance);

    private static AcmeExecDnsProvider Exec(string command, TimeSpan timeout) =>
        new(new AcmeDnsConfig(AcmeDnsProviderKind.Exec, null, null, "hmac-sha256", null, null, [], TimeSpan.FromMinutes(1), command, timeout),
            new AcmeDnsPropagation(TimeProvider.System), TimeProvider.System);

    private static string Script(string folder, string text)
    {
        var path = Path.Combine(folder, "hook.sh");
        File.WriteAllText(path, text.Replace("\r", "", StringComparison.Ordinal) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
