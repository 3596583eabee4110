using System.Text.Json;

namespace Gateway.Configuration;

/// <summary>
/// The configuration as the operator wrote it: the file, then environment variables, then the command line.
/// Built afresh for every load so that a reload reads exactly what is on disk now.
/// </summary>
internal static class ConfigSources
{
    /// <summary>Builds the configuration, or records why the file cannot be read at all.</summary>
    public static IConfigurationRoot? TryBuild(string configFile, string[] args, ConfigErrors errors)
    {
        try
        {
            return new ConfigurationBuilder()
                .AddJsonFile(configFile, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
        }
        catch (FileNotFoundException)
        {
            errors.Add(configFile, "the file does not exist");
        }
        catch (InvalidDataException e) when (e.InnerException is JsonException json)
        {
            errors.Add(configFile, $"not valid JSON: {json.Message}");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            errors.Add(configFile, e.InnerException?.Message ?? e.Message);
        }

        return null;
    }
}
