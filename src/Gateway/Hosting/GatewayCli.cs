using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using Gateway.Configuration;
using Gateway.Core;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Hosting;

/// <summary>
/// The program: reads the command line, does what it asks, and says how it went in the exit code
/// (<see cref="ExitCodes"/>). Nothing binds before the whole command line has been accepted.
/// </summary>
internal static class GatewayCli
{
    public static string Version =>
        typeof(GatewayCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        CommandLine commandLine;
        try
        {
            commandLine = CommandLine.Parse(args);
        }
        catch (CommandLineException e)
        {
            await error.WriteLineAsync($"Gateway: {e.Message}");
            await error.WriteLineAsync();
            await error.WriteLineAsync(Synopsis);
            await error.WriteLineAsync("Gateway --help lists every flag, the configuration overrides and the exit codes.");
            return ExitCodes.Invalid;
        }

        try
        {
            switch (commandLine.Command)
            {
                case GatewayCommand.Help:
                    await output.WriteAsync(Help);
                    return ExitCodes.Ok;
                case GatewayCommand.Version:
                    await output.WriteLineAsync($"Gateway {Version} ({RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier})");
                    return ExitCodes.Ok;
                case GatewayCommand.HashPassword:
                    return await HashPasswordAsync(output, error);
                case GatewayCommand.Check:
                    return await GatewayApplication.CheckAsync(args, output);
                default:
                    return await ServeAsync(args, error);
            }
        }
        catch (Exception e) when (e is ConfigValidationException or FileNotFoundException)
        {
            await error.WriteLineAsync(e.Message);
            return ExitCodes.Invalid;
        }
        catch (SocketEngineChoiceException e)
        {
            // A setting like any other, in the environment: wrong as written, so not worth restarting.
            await error.WriteLineAsync(e.Message);
            return ExitCodes.Invalid;
        }
        catch (Exception e)
        {
            // Whatever reaches here was not foreseen: say so, with the stack trace a bug report needs.
            await error.WriteLineAsync($"Gateway failed unexpectedly: {e}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> ServeAsync(string[] args, TextWriter error)
    {
        var app = await GatewayApplication.BuildAsync(args);
        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (Exception e) when (Refusal(e) is { } refusal)
            {
                await error.WriteLineAsync($"Cannot start the listeners: {refusal}");
                return ExitCodes.MachineRefused;
            }

            await app.WaitForShutdownAsync();
            return ExitCodes.Ok;
        }
    }

    /// <summary>What the operating system refused while binding, if that is why the start failed.</summary>
    private static string? Refusal(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is AddressInUseException or SocketException)
            {
                // Kestrel's message names the address; the socket's says why.
                var message = current == e ? e.Message : $"{e.Message} ({current.Message})";
                return (current as SocketException ?? current.InnerException as SocketException)?.SocketErrorCode switch
                {
                    SocketError.AccessDenied => message + ": a port below 1024 needs root or CAP_NET_BIND_SERVICE",
                    SocketError.AddressNotAvailable => message + ": a listener's address is not on this host",
                    SocketError.TooManyOpenSockets => message + ": raise the descriptor limit (LimitNOFILE, ulimit -n)",
                    _ => message,
                };
            }
        }

        return null;
    }

    private static async Task<int> HashPasswordAsync(TextWriter output, TextWriter error)
    {
        // The password comes on standard input, never on the command line (where ps and shell history see it).
        var password = Console.IsInputRedirected ? await Console.In.ReadLineAsync() : ReadHidden(error);
        if (string.IsNullOrEmpty(password))
        {
            await error.WriteLineAsync("No password given. Usage: echo -n 'secret' | Gateway --hash-password");
            return ExitCodes.Invalid;
        }

        await output.WriteLineAsync(Core.PasswordHash.Create(password));
        return ExitCodes.Ok;
    }

    private static string ReadHidden(TextWriter error)
    {
        error.Write("Password: ");
        var password = new System.Text.StringBuilder();
        for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        {
            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }

        error.WriteLine();
        return password.ToString();
    }

    private const string Synopsis = """
        Usage:
          Gateway [--config FILE] [--Section:Key=VALUE ...]          serve
          Gateway --check [--config FILE] [--Section:Key=VALUE ...]  check the configuration, start nothing
          Gateway --hash-password                                    hash a password read from standard input
          Gateway --version
          Gateway --help | -h
        """;

    private static string Help => $"""
        Gateway {Version}: SNI passthrough (L4) and TLS-terminating reverse proxy (L7) on one port.

        {Synopsis}

        Flags:
          --config FILE, --config=FILE
                    The configuration file; default appsettings.json in the working directory. Relative paths
                    in it are relative to its folder. Saving it applies the change live.
          --check   Check everything a start would (the JSON, every key, the certificate files, YARP's routes
                    and clusters), then exit: prints "FILE: ok" or every error, one per line, as
                    FILE:LINE:COLUMN or the key's path. Starts nothing and writes nothing (like nginx -t).
          --hash-password
                    Read a password from standard input (hidden when typed) and print the hash to put in a
                    "PasswordHash" of the file. The password never goes on the command line.
          --version Print the version and the .NET runtime.
          -h, --help
                    Print this text.

        Configuration overrides (over the file, and over it again on every reload):
          --Section:Key=VALUE or --Section:Key VALUE, e.g. --Gateway:Listeners:Https=0.0.0.0:443
                    Levels are separated by ':'; Section is {string.Join(", ", CommandLine.Sections)}. Each key
                    at most once. Any other argument is refused.
          Environment variables do the same with '__' between the levels:
                    Gateway__Listeners__Https=0.0.0.0:443
          Precedence: the command line, then the environment, then the file.

        Exit codes:
          0   Stopped when asked (SIGTERM, Ctrl+C); --check: the configuration is usable.
          1   Unexpected failure (a bug): the message and the stack trace are printed.
          2   The command line or the configuration is wrong: fix it; starting again will not help.
          71  The machine refused (EX_OSERR): a listener's port is in use, a port below 1024 without
              CAP_NET_BIND_SERVICE, an address not on this host, no file descriptors left. Starting
              again can succeed; the systemd unit restarts on it.

        """;
}
