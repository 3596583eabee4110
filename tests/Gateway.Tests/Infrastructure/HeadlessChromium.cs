using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

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

    /// <summary>
    /// Opens <paramref name="url"/> in Chromium and runs <paramref name="script"/> in the page once it has loaded, as the
    /// DevTools protocol does (a user's click, without the page needing any script of its own); then waits for
    /// <paramref name="done"/> before closing the browser.
    /// </summary>
    public static async Task RunInPageAsync(string url, string script, Func<bool> done, string what)
    {
        var profile = Directory.CreateTempSubdirectory("gateway-chromium-").FullName;
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--remote-debugging-port=0", url])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            var portFile = System.IO.Path.Combine(profile, "DevToolsActivePort");
            await Poll.UntilAsync(() => File.Exists(portFile) && File.ReadAllLines(portFile).Length >= 2, "Chromium says its DevTools port", TimeSpan.FromSeconds(30));
            var port = int.Parse(File.ReadAllLines(portFile)[0], System.Globalization.CultureInfo.InvariantCulture);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            string? socketUrl = null;
            await Poll.UntilAsync(async () =>
            {
                var targets = JsonNode.Parse(await http.GetStringAsync("json/list"))!.AsArray();
                socketUrl = (string?)targets.FirstOrDefault(t => (string?)t!["type"] == "page" && ((string?)t["url"])?.StartsWith(url, StringComparison.Ordinal) == true)?["webSocketDebuggerUrl"];
                return socketUrl is not null;
            }, TimeSpan.FromSeconds(30), "Chromium has the page open");

            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(socketUrl!), CancellationToken.None);
            var id = 0;
            async Task<JsonNode> EvaluateAsync(string expression)
            {
                var request = new JsonObject { ["id"] = ++id, ["method"] = "Runtime.evaluate", ["params"] = new JsonObject { ["expression"] = expression, ["returnByValue"] = true } };
                await socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
                var buffer = new byte[1 << 16];
                while (true)
                {
                    using var message = new MemoryStream();
                    WebSocketReceiveResult received;
                    do
                    {
                        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                        received = await socket.ReceiveAsync(buffer, timeout.Token);
                        message.Write(buffer, 0, received.Count);
                    }
                    while (!received.EndOfMessage);

                    var reply = JsonNode.Parse(message.ToArray())!;
                    if ((int?)reply["id"] == id)
                    {
                        return reply["result"]!;
                    }
                }
            }

            // The target exists before its navigation commits: loaded means this URL, complete.
            await Poll.UntilAsync(async () => (string?)(await EvaluateAsync("document.readyState + ' ' + location.href"))["result"]!["value"] == "complete " + url,
                TimeSpan.FromSeconds(30), "the page has loaded");
            var ran = await EvaluateAsync(script);
            Assert.True(ran["exceptionDetails"] is null, $"the script failed: {ran.ToJsonString()}");
            await Poll.UntilAsync(done, what, TimeSpan.FromSeconds(30));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
