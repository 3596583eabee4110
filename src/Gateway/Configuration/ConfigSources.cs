namespace Gateway.Configuration;

/// <summary>
/// The configuration as the operator wrote it: the file, then environment variables, then the command line.
/// Built afresh for every load so that a reload reads exactly what is on disk now.
/// </summary>
internal static class ConfigSources
{
    /// <summary>Far above any real configuration; stops a wrong --config (a log, a device) from being read whole.</summary>
    public const int MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Builds the configuration, or records why the file cannot be read at all.</summary>
    public static IConfigurationRoot? TryBuild(string configFile, string[] args, ConfigErrors errors)
    {
        // Read once: what is checked is exactly what is loaded, even while an editor is saving the file.
        var content = TryRead(configFile, errors);
        if (content is null || !ConfigFileJson.Check(configFile, content, errors))
        {
            return null;
        }

        try
        {
            return new ConfigurationBuilder()
                .Add<IndexedJsonConfigurationSource>(source => source.Stream = new MemoryStream(content, writable: false))
                .AddEnvironmentVariables()
                .AddCommandLine(args)
                .Build();
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            // The check above accepts nothing the provider refuses; should they ever disagree, still one clear line.
            errors.Add(configFile, string.Join(" ", Chain(e).Select(x => x.Message)));
        }

        return null;
    }

    private static byte[]? TryRead(string configFile, ConfigErrors errors)
    {
        try
        {
            if (Directory.Exists(configFile))
            {
                errors.Add(configFile, "is a directory, not a file");
                return null;
            }

            return SmallFile.ReadAllBytes(configFile, MaxFileBytes);
        }
        catch (FileTooLargeException)
        {
            errors.Add(configFile, $"is larger than {MaxFileBytes / 1024 / 1024} MiB: not a configuration file");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            errors.Add(configFile, "the file does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            errors.Add(configFile, "cannot be read: permission denied");
        }
        catch (IOException e)
        {
            errors.Add(configFile, "cannot be read: " + e.Message);
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
