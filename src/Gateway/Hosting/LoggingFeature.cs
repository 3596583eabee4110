using Gateway.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Checks the <c>Logging</c> section that ASP.NET Core's logging reads, key by key: a misspelt provider or option,
/// or a level that is not one, would otherwise be ignored (or stop logging's configuration at start). The console
/// options are checked against their types and bound as logging binds them (<see cref="LoggingOptionsCheck"/>).
/// </summary>
internal sealed class LoggingFeature : IConfigFeature
{
    public const string SectionName = "Logging";

    private static readonly string[] Providers = ["LogLevel", "Console", "Debug", "EventSource", "EventLog"];

    public IReadOnlyList<string> GatewayKeys { get; } = [];

    public IReadOnlyList<string> Sections { get; } = [SectionName];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var errors = next.Errors;
        var section = next.Configuration.GetSection(SectionName);
        ConfigReader.RejectUnknownKeys(section, errors, Providers);
        ReadLevels(section.GetSection("LogLevel"), errors);
        var optionTypes = new Dictionary<string, Type>();
        foreach (var provider in section.GetChildren().Where(p => !p.Key.Equals("LogLevel", StringComparison.OrdinalIgnoreCase) && Providers.Contains(p.Key, StringComparer.OrdinalIgnoreCase)))
        {
            if (provider.Key.Equals("Console", StringComparison.OrdinalIgnoreCase))
            {
                optionTypes = LoggingOptionsCheck.CheckKeys(provider, errors);
                ReadLevel(provider, "LogToStandardErrorThreshold", errors);
                ConfigReader.ReadEnum(provider, "QueueFullMode", Microsoft.Extensions.Logging.Console.ConsoleLoggerQueueFullMode.DropWrite, errors);
                if (provider["FormatterName"] is { } formatter && !new[] { "simple", "json", "systemd" }.Contains(formatter, StringComparer.OrdinalIgnoreCase))
                {
                    errors.Add(ConfigReader.Path(provider, "FormatterName"), $"'{formatter}' is not one of: simple, json, systemd");
                }
            }
            else
            {
                ConfigReader.RejectUnknownKeys(provider, errors, "LogLevel");
            }

            ReadLevels(provider.GetSection("LogLevel"), errors);
        }

        // Last: what the checks above already refused with a clearer message is not said again.
        LoggingOptionsCheck.Bind(section, optionTypes, errors);

        var fingerprint = string.Join("\n", section.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => kv.Key + "=" + kv.Value).Order(StringComparer.Ordinal));
        next.Add(new LoggingConfig(section, fingerprint));
        return ValueTask.CompletedTask;
    }

    /// <summary>Category names are free (a prefix of a logger's name); their levels are not.</summary>
    private static void ReadLevels(IConfigurationSection levels, ConfigErrors errors)
    {
        foreach (var category in levels.GetChildren())
        {
            if (category.Value is null)
            {
                errors.Add(category.Path, "a log level is expected here (Trace, Debug, Information, Warning, Error, Critical or None), not a section");
                continue;
            }

            ReadLevel(levels, category.Key, errors);
        }
    }

    private static void ReadLevel(IConfigurationSection section, string key, ConfigErrors errors) =>
        ConfigReader.ReadEnum(section, key, LogLevel.Information, errors);
}
