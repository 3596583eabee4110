namespace Gateway.Hosting;

/// <summary>Gateway's own command-line switches; everything else is left for ASP.NET Core's configuration.</summary>
internal static class CommandLine
{
    public const string DefaultConfigFile = "appsettings.json";

    /// <summary>Takes "--config FILE" or "--config=FILE" out of <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">--config without a file name.</exception>
    public static (string ConfigFile, string[] Remaining) ExtractConfigFile(string[] args)
    {
        var configFile = DefaultConfigFile;
        var rest = new List<string>(args.Length);
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
            else
            {
                rest.Add(args[i]);
            }
        }

        return (Path.GetFullPath(configFile), rest.ToArray());
    }
}
