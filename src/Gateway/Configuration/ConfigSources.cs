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
                .Add<IndexedJsonConfigurationSource>(source =>
                {
                    // What AddJsonFile does, with the indexed provider.
                    source.Path = configFile;
                    source.Optional = false;
                    source.ReloadOnChange = false;
                    source.ResolveFileProvider();
                })
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
        }
        catch (FileNotFoundException)
        {
            errors.Add(configFile, "the file does not exist");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            var json = Chain(e).OfType<JsonException>().FirstOrDefault();
            errors.Add(configFile, json is not null ? $"not valid JSON: {json.Message}" : string.Join(" ", Chain(e).Select(x => x.Message)));
        }

        return null;
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
