using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Configuration;

/// <summary>
/// A file the configuration names that is a named pipe, a device or far too large is an error like any other file
/// that cannot be used: never a wait on a writer that may not come, never a read without end.
/// </summary>
public sealed class SpecialFileTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_certificate_path_that_is_a_named_pipe_is_an_error_not_a_wait()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-special-").FullName;
        var certificate = TestCertificates.Get("app.test");
        var pipe = Path.Combine(folder, "cert.pem");
        MakeFifo(pipe);
        var file = await WriteConfigAsync(folder, pipe, certificate.KeyPath);

        var (exitCode, output) = await CheckWithinAsync(file, pipe);

        Assert.Equal(2, exitCode);
        Assert.Contains("Gateway:Tls:Certificates:app.test: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_that_is_a_named_pipe_is_an_error_not_a_wait()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-special-").FullName;
        var pipe = Path.Combine(folder, "appsettings.json");
        MakeFifo(pipe);

        var (exitCode, output) = await CheckWithinAsync(pipe, pipe);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{pipe}: the file is empty", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_file_larger_than_a_mebibyte_is_refused_unread()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-special-").FullName;
        var certificate = TestCertificates.Get("app.test");
        var huge = Path.Combine(folder, "cert.pem");
        await File.WriteAllTextAsync(huge, await File.ReadAllTextAsync(certificate.CertificatePath) + new string('A', 2 * 1024 * 1024));
        var file = await WriteConfigAsync(folder, huge, certificate.KeyPath);

        var (exitCode, output) = await CheckWithinAsync(file, null);

        Assert.Equal(2, exitCode);
        Assert.Contains($"Gateway:Tls:Certificates:app.test: cannot read the certificate files: '{huge}' is larger than 1 MiB", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_turned_into_a_named_pipe_does_not_stop_later_reloads()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-special-").FullName;
        var certificate = TestCertificates.Get("app.test");
        var (cert, key) = (Path.Combine(folder, "cert.pem"), Path.Combine(folder, "key.pem"));
        File.Copy(certificate.CertificatePath, cert);
        File.Copy(certificate.KeyPath, key);
        await using var gateway = await TestGateway.StartAsync(Section(cert, key), null);
        try
        {
            File.Delete(cert);
            MakeFifo(cert);
            await Poll.UntilAsync(() => gateway.Generations.LastFailure is not null, "the pipe is refused", Patience);

            // Put the certificate back and save a real edit: both must be applied.
            File.Delete(cert);
            File.Copy(certificate.CertificatePath, cert);
            var edited = Section(cert, key);
            edited["ClientHello"] = new JsonObject { ["MaxBytes"] = 8192 };
            await gateway.WriteConfigAsync(edited, null);
            await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 8192 && gateway.Generations.LastFailure is null, "the next good save is applied", Patience);
        }
        finally
        {
            Release(cert);
        }
    }

    private static JsonObject Section(string certificatePath, string keyPath) => new()
    {
        ["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = certificatePath, ["KeyPath"] = keyPath } } },
    };

    private static async Task<string> WriteConfigAsync(string folder, string certificatePath, string keyPath)
    {
        var file = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(Section(certificatePath, keyPath), null));
        return file;
    }

    /// <summary>Runs --check off the test's thread (a blocked open would block its caller), bounded in time.</summary>
    private static async Task<(int ExitCode, string Output)> CheckWithinAsync(string file, string? pipe)
    {
        using var output = new StringWriter();
        var check = Task.Run(() => GatewayApplication.CheckAsync(["--check", "--config", file], output));
        try
        {
            var exitCode = await check.WaitAsync(Patience);
            return (exitCode, output.ToString());
        }
        catch (TimeoutException)
        {
            Assert.Fail("--check was still waiting after " + Patience);
            throw;
        }
        finally
        {
            if (pipe is not null && !check.IsCompleted)
            {
                Release(pipe);
            }
        }
    }

    private static void MakeFifo(string path)
    {
        if (MkFifo(path, Convert.ToUInt32("644", 8)) != 0)
        {
            throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Lets go a reader blocked opening the pipe (opening the write end with O_NONBLOCK fails at once when there is none).</summary>
    private static void Release(string path)
    {
        const int WriteOnly = 1, NonBlocking = 0x800;
        for (var i = 0; i < 50; i++)
        {
            var fd = Open(path, WriteOnly | NonBlocking);
            if (fd >= 0)
            {
                _ = Close(fd);
            }

            Thread.Sleep(20);
        }
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MkFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}
