using System.Diagnostics;
using Gateway.Tests.Configuration;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Admin;

/// <summary>The stats page as a real browser (headless Chromium) renders it.</summary>
public sealed class StatsPageBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_stats_page_shows_routes_destinations_charts_and_a_drained_destination()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/test.sh installs the Debian package 'chromium'");
        await using var scenario = await GatewayScenario.StartAsync();
        using (var client = new GatewayClient(scenario.Gateway.Https))
        {
            await client.Http.GetStringAsync(client.Url(GatewayScenario.ExchangeHost));
            await client.Http.GetStringAsync(client.Url(GatewayScenario.AppHost));
        }

        using var admin = new HttpClient { BaseAddress = new Uri($"http://{scenario.Gateway.Admin}/") };
        using (var drain = await admin.PostAsync("api/clusters/exchange/destinations/exchange01/state?value=Drain", null))
        {
            drain.EnsureSuccessStatusCode();
        }

        var url = $"http://{scenario.Gateway.Admin}/stats";
        var dom = await RunChromiumAsync("--dump-dom", url);

        Assert.Contains("data-route=\"exchange\"", dom, StringComparison.Ordinal);
        Assert.Contains("exchange.test, autodiscover.test, *.dag.test", dom, StringComparison.Ordinal);
        Assert.Contains("data-destination=\"exchange01\"", dom, StringComparison.Ordinal);
        Assert.Matches("data-destination=\"exchange01\">.*?class=\"state Drain\">draining", dom);
        Assert.Contains("data-proxy-route=\"app\"", dom, StringComparison.Ordinal);
        Assert.Matches("<svg class=\"chart\" data-chart=\"exchange:tunnels:15m\"[^>]*>.*?<path class=\"s1\"", dom);
        Assert.Contains("fallback (self-signed)", dom, StringComparison.Ordinal);

        var artifacts = Path.Combine(CheckTests.RepositoryRoot(), "TestResults");
        Directory.CreateDirectory(artifacts);
        var screenshot = Path.Combine(artifacts, "stats-page.png");
        File.Delete(screenshot);
        await RunChromiumAsync($"--screenshot={screenshot}", "--window-size=1280,1200", url);
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
    }

    private static async Task<string> RunChromiumAsync(params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("gateway-chromium-").FullName;
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
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
}
