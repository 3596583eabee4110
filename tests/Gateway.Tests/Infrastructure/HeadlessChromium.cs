using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>Chromium without a screen, a fresh profile per run: what a real browser makes of a page.</summary>
public static class HeadlessChromium
{
    public const string Path = "/usr/bin/chromium";

    public static void AssertInstalled() =>
        Assert.True(File.Exists(Path), $"{Path} is missing: scripts/test.sh installs the Debian package 'chromium'");

    /// <returns>What Chromium wrote to its standard output (the DOM, with --dump-dom).</returns>
    public static async Task<string> RunAsync(params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("gateway-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", .. args])
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(guard.Token);
            Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await errors}");
            return await output;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper process may still hold a file for a moment; the temporary directory is cleaned up anyway.
            }
        }
    }
}
