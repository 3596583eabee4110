using Gateway.Configuration;
using Gateway.Proxy;

namespace Gateway.Hosting;

/// <summary>
/// The command line, read strictly: every argument is one of Gateway's flags or a configuration override, so a typo
/// such as <c>--chek</c> is refused before anything binds instead of being taken for a setting nobody reads.
/// </summary>
/// <param name="ConfigFile">Full path of the config file ("--config FILE", default appsettings.json in the working directory).</param>
/// <param name="Command">What to do: serve, or one of the flags that do something else and exit.</param>
/// <param name="Remaining">The configuration overrides, for the configuration's command-line source.</param>
internal sealed record CommandLine(string ConfigFile, GatewayCommand Command, string[] Remaining)
{
    public const string DefaultConfigFile = "appsettings.json";

    /// <summary>The top-level sections Gateway reads; an override of any other would change nothing.</summary>
    public static readonly IReadOnlyList<string> Sections = [Reload.GenerationFactory.GatewaySection, ProxyConfigReader.SectionName, "Logging"];

    private static readonly (string Flag, GatewayCommand Command)[] Commands =
    [
        ("--check", GatewayCommand.Check),
        ("--hash-password", GatewayCommand.HashPassword),
        ("--help", GatewayCommand.Help),
        ("-h", GatewayCommand.Help),
        ("--version", GatewayCommand.Version),
    ];

    /// <summary>Every flag, for suggestions.</summary>
    private static readonly string[] Flags = ["--config", .. Commands.Select(c => c.Flag)];

    public string BaseDirectory => Path.GetDirectoryName(ConfigFile)!;

    /// <summary>The config file with this command line's overrides on top.</summary>
    public ConfigLocation Location => new(ConfigFile, Remaining);

    /// <summary>
    /// Flags are written exactly as listed by --help. A configuration override is an argument that starts with "--" and
    /// whose key (up to "=") has a ':' in it: <c>--Gateway:Listeners:Https=0.0.0.0:443</c> or
    /// <c>--Gateway:Listeners:Https 0.0.0.0:443</c>; its first level must be a section Gateway reads, each key may be
    /// given once. Anything else is refused.
    /// </summary>
    /// <exception cref="CommandLineException">The command line cannot be run as written.</exception>
    public static CommandLine Parse(string[] args)
    {
        string? configFile = null;
        GatewayCommand? command = null;
        string? commandFlag = null;
        var help = false;
        var remaining = new List<string>(args.Length);
        var overridden = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--config" || arg.StartsWith("--config=", StringComparison.Ordinal))
            {
                if (configFile is not null)
                {
                    throw new CommandLineException("--config is given twice: there is one config file");
                }

                configFile = arg == "--config" ? (i + 1 < args.Length ? args[++i] : "") : arg["--config=".Length..];
                if (configFile.Length == 0 || configFile.StartsWith("--", StringComparison.Ordinal))
                {
                    throw new CommandLineException("--config needs a file name: --config /etc/gateway/appsettings.json");
                }
            }
            else if (Array.Find(Commands, c => c.Flag == arg) is { Flag: not null } known)
            {
                if (known.Command == GatewayCommand.Help)
                {
                    help = true;
                }
                else if (command is not null)
                {
                    throw new CommandLineException(command == known.Command
                        ? $"{arg} is given twice"
                        : $"{commandFlag} and {arg} cannot be combined: give one of them");
                }
                else
                {
                    command = known.Command;
                    commandFlag = arg;
                }
            }
            else if (IsOverride(arg))
            {
                var separator = arg.IndexOf('=', StringComparison.Ordinal);
                var key = separator < 0 ? arg[2..] : arg[2..separator];
                CheckKey(arg, key);
                if (!overridden.Add(key))
                {
                    throw new CommandLineException($"--{key} is given twice: give each setting once");
                }

                remaining.Add(arg);
                if (separator < 0)
                {
                    if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        throw new CommandLineException($"--{key} needs a value: --{key}=VALUE or --{key} VALUE");
                    }

                    remaining.Add(args[++i]);
                }
            }
            else
            {
                throw new CommandLineException(Unknown(arg));
            }
        }

        // --help with other valid arguments answers the question rather than doing them.
        command = help ? GatewayCommand.Help : command ?? GatewayCommand.Serve;
        if (command is (GatewayCommand.HashPassword or GatewayCommand.Version) && (configFile is not null || remaining.Count > 0))
        {
            throw new CommandLineException($"{commandFlag} takes no other arguments");
        }

        return new CommandLine(Path.GetFullPath(configFile ?? DefaultConfigFile), command.Value, [.. remaining]);
    }

    private static bool IsOverride(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal))
        {
            return false;
        }

        var separator = arg.IndexOf('=', StringComparison.Ordinal);
        return (separator < 0 ? arg : arg[..separator]).Contains(':', StringComparison.Ordinal);
    }

    private static void CheckKey(string arg, string key)
    {
        var levels = key.Split(':');
        if (Array.Exists(levels, level => level.Length == 0 || level.Trim().Length != level.Length))
        {
            throw new CommandLineException($"{arg}: a configuration key is names separated by single ':', e.g. --Gateway:Listeners:Https=0.0.0.0:443");
        }

        if (!Sections.Contains(levels[0], StringComparer.OrdinalIgnoreCase))
        {
            var suggestion = Closest(levels[0], Sections) is { } section ? $" (did you mean {section}?)" : "";
            throw new CommandLineException($"{arg}: Gateway reads no section '{levels[0]}'{suggestion}; overrides go to {string.Join(", ", Sections)}");
        }
    }

    private static string Unknown(string arg)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains("__", StringComparison.Ordinal))
        {
            return $"unknown argument '{arg}': on the command line levels are separated by ':' (--{arg[2..].Replace("__", ":", StringComparison.Ordinal)}); '__' is for environment variables";
        }

        if (!arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal))
        {
            return $"unknown argument '{arg}': a configuration override starts with two dashes, --{arg.TrimStart('-', '/')}";
        }

        var name = arg.TrimStart('-', '/');
        var separator = name.IndexOf('=', StringComparison.Ordinal);
        var bare = separator < 0 ? name : name[..separator];
        if (separator >= 0 && Array.Exists(Flags, f => f == "--" + bare))
        {
            return $"unknown argument '{arg}': --{bare} takes no value";
        }

        return Closest(bare, Flags) is { } flag
            ? $"unknown argument '{arg}' (did you mean {flag}?)"
            : $"unknown argument '{arg}'";
    }

    /// <summary>
    /// The candidate <paramref name="typed"/> is most likely a typo of: the same but for case and dashes, or one edit
    /// away (two for longer names), counting a swap of neighbours as one.
    /// </summary>
    private static string? Closest(string typed, IEnumerable<string> candidates)
    {
        var allowed = typed.Length <= 2 ? 0 : typed.Length <= 5 ? 1 : 2;
        return candidates
            .Select(c => (Candidate: c, Distance: NearMiss.Distance(typed.ToLowerInvariant(), c.TrimStart('-').ToLowerInvariant())))
            .Where(c => c.Distance <= allowed)
            .OrderBy(c => c.Distance)
            .Select(c => c.Candidate)
            .FirstOrDefault();
    }
}
