namespace Gateway.Hosting;

/// <summary>Gateway's own command-line switches; everything else is left for ASP.NET Core's configuration.</summary>
/// <param name="ConfigFile">Full path of the config file ("--config FILE", default appsettings.json in the working directory).</param>
/// <param name="Check">"--check": validate the configuration and exit, like <c>haproxy -c</c> and <c>nginx -t</c>.</param>
/// <param name="Remaining">Arguments for the configuration's command-line source ("--Gateway:Listeners:Https=...").</param>
internal sealed record CommandLine(string ConfigFile, bool Check, string[] Remaining)
{
    public const string DefaultConfigFile = "appsettings.json";

    /// <exception cref="ArgumentException">--config without a file name.</exception>
    public static CommandLine Parse(string[] args)
    {
        var configFile = DefaultConfigFile;
        var check = false;
        var remaining = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new ArgumentException("--config needs a file name: --config /etc/gateway/appsettings.json");
                }

                configFile = args[++i];
            }
            else if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                configFile = args[i]["--config=".Length..];
            }
            else if (args[i] == "--check")
            {
                check = true;
            }
            else
            {
                remaining.Add(args[i]);
            }
        }

        return new CommandLine(Path.GetFullPath(configFile), check, [.. remaining]);
    }

    public string BaseDirectory => Path.GetDirectoryName(ConfigFile)!;
}
