using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// HAProxy in TCP mode on loopback, round robin over a list of backends per frontend: the load balancer in front of
/// several gateways, as the README's Kubernetes Service or a keepalived pair puts them. Started as a child process with
/// a generated config; killed when disposed.
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private HaProxy(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    /// <param name="frontends">Each frontend's port on 127.0.0.1 and the backends it spreads connections over, in turn.</param>
    public static async Task<HaProxy> StartAsync(params (int Port, IPEndPoint[] Backends)[] frontends)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-haproxy-").FullName;
        var config = new StringBuilder();
        // A connection a backend refuses (killed, or not listening yet) goes to the next one at once, up to three times:
        // with three gateways, one that listens always gets it. No health checks: until a check has seen a backend
        // listen, the checks call it down, and a validation that came then found every backend down and was refused
        // (seen in a full run).
        config.AppendLine("global\n  maxconn 2000\ndefaults\n  mode tcp\n  timeout connect 2s\n  timeout client 5m\n  timeout server 5m"
            + "\n  option redispatch 1\n  retries 3");
        for (var i = 0; i < frontends.Length; i++)
        {
            config.AppendLine($"frontend f{i}\n  bind 127.0.0.1:{frontends[i].Port}\n  default_backend b{i}");
            config.AppendLine($"backend b{i}\n  balance roundrobin");
            for (var j = 0; j < frontends[i].Backends.Length; j++)
            {
                config.AppendLine($"  server s{j} {frontends[i].Backends[j]}");
            }
        }

        var path = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config.ToString());
        var start = new ProcessStartInfo("haproxy") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // -db: stay in the foreground, so killing this process stops it.
        foreach (var argument in new[] { "-db", "-f", path })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("haproxy did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var haproxy = new HaProxy(process, directory);
        try
        {
            foreach (var (port, _) in frontends)
            {
                await Poll.UntilAsync(async () =>
                {
                    Assert.False(process.HasExited, $"haproxy exited with {(process.HasExited ? process.ExitCode : 0)}; config:\n{config}");
                    using var probe = new TcpClient();
                    try
                    {
                        await probe.ConnectAsync(IPAddress.Loopback, port);
                        return true;
                    }
                    catch (SocketException)
                    {
                        return false;
                    }
                }, TimeSpan.FromSeconds(10), $"haproxy listens on {port}");
            }
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }

        return haproxy;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
