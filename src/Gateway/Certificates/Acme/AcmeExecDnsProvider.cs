using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>
/// dns-01 through an operator's program, called as <c>present FQDN VALUE</c> and <c>cleanup FQDN VALUE</c> (the FQDN
/// with its trailing dot), as lego's exec provider calls it: a registrar's API script plugs in without new code.
/// No shell is involved; the program runs with a bounded time and is killed after it.
/// </summary>
internal sealed class AcmeExecDnsProvider(AcmeDnsConfig config, AcmeDnsPropagation propagation, TimeProvider time) : IAcmeDnsProvider
{
    /// <summary>What of the program's error output goes into the message: enough to see the API's complaint, not a flood.</summary>
    private const int MaxErrorChars = 600;
    private const int MaxErrorLines = 5;

    private readonly string _command = config.Command ?? throw new ArgumentException("the Exec provider needs a command", nameof(config));

    public async Task PresentAsync(string fqdn, string value, CancellationToken cancellationToken)
    {
        await RunAsync("present", fqdn, value, cancellationToken);
        // The program may return before its provider's servers have the record; with servers named, check them.
        if (config.PropagationServers.Count > 0)
        {
            await propagation.WaitAsync(fqdn, value, config.PropagationServers, config.PropagationTimeout, cancellationToken);
        }
    }

    public Task CleanupAsync(string fqdn, string value, CancellationToken cancellationToken) => RunAsync("cleanup", fqdn, value, cancellationToken);

    private async Task RunAsync(string action, string fqdn, string value, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        fqdn = fqdn.EndsWith('.') ? fqdn : fqdn + ".";
        start.ArgumentList.Add(action);
        start.ArgumentList.Add(fqdn);
        start.ArgumentList.Add(value);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new AcmeException($"{_command} did not start") { ValidationFailed = true };
        }
        catch (Win32Exception e)
        {
            throw new AcmeException($"{_command} {action} could not be started: {e.Message}") { ValidationFailed = true };
        }

        using (process)
        {
            process.StandardInput.Close();
            var output = DrainAsync(process.StandardOutput);
            var error = DrainAsync(process.StandardError);
            using var timeout = new CancellationTokenSource(config.CommandTimeout, time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await process.WaitForExitAsync(either.Token);
            }
            catch (OperationCanceledException)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }

                cancellationToken.ThrowIfCancellationRequested();
                throw new AcmeException($"{_command} {action} {fqdn} was still running after {Duration.Format(config.CommandTimeout)} (Gateway:Acme:Dns:CommandTimeout) and was killed") { ValidationFailed = true };
            }

            await output;
            var message = await error;
            if (process.ExitCode != 0)
            {
                var said = string.Join(" | ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(MaxErrorLines));
                throw new AcmeException($"{_command} {action} {fqdn} exited with {process.ExitCode}{(said.Length > 0 ? ": " + said : "")}") { ValidationFailed = true };
            }
        }
    }

    /// <summary>Reads a stream to its end (a full pipe would block the program) and keeps only its beginning.</summary>
    private static async Task<string> DrainAsync(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[1024];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (kept.Length < MaxErrorChars)
            {
                kept.Append(buffer, 0, Math.Min(read, MaxErrorChars - kept.Length));
            }
        }

        return kept.ToString();
    }
}
