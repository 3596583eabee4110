using System.Collections.Concurrent;
using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>The built Gateway.dll run as its own process, as systemd runs it: for exit codes and what it prints.</summary>
internal static class GatewayProcess
{
    /// <param name="workingDirectory">Where the default appsettings.json is looked for; the test's own when null.</param>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string? workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, CancellationToken.None, args);

    /// <param name="stop">Kills the process: a test that gave up on it leaves nothing running.</param>
    public static Task<(int ExitCode, string Output, string Error)> RunAsync(string? workingDirectory, CancellationToken stop, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string>(), stop, args);

    /// <summary>Starts a gateway that keeps serving; every line it prints goes to <paramref name="output"/>. The caller kills it.</summary>
    public static Process Start(string workingDirectory, ConcurrentQueue<string> output, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gateway.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <param name="environment">Variables set for the process on top of the test's own.</param>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string? workingDirectory, IReadOnlyDictionary<string, string> environment, CancellationToken stop, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gateway.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(stop);
        guard.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            // A gateway that should have exited is serving: stop it, and fail the test that waited.
            process.Kill(entireProcessTree: true);
            stop.ThrowIfCancellationRequested();
            throw new TimeoutException($"Gateway {string.Join(' ', args)} was still running after 60 s");
        }

        return (process.ExitCode, await output, await error);
    }
}
