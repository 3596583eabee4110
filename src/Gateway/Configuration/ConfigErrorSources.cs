using System.Collections;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Gateway.Configuration;

/// <summary>
/// Says where an error's value came from when it was not the file: an operator who reads
/// <c>Gateway:Routes:app:Access: a list is expected here</c> looks in the file, finds the list, and does not think of
/// the <c>Gateway__Routes__app__Access</c> a unit file or a container sets.
/// </summary>
internal static class ConfigErrorSources
{
    public static IReadOnlyList<ConfigError> Name(IConfiguration configuration, IReadOnlyList<ConfigError> errors)
    {
        if (errors.Count == 0 || configuration is not IConfigurationRoot root
            || !root.Providers.Any(p => p is EnvironmentVariablesConfigurationProvider or CommandLineConfigurationProvider))
        {
            return errors;
        }

        // Errors about environment variables as such (a misspelt section's prefix) say so already.
        return [.. errors.Select(error => !error.Message.Contains("environment variable", StringComparison.Ordinal) && Source(root, error.Path) is { } source
            ? error with { Message = $"{error.Message} ({source})" }
            : error)];
    }

    private static string? Source(IConfigurationRoot root, string path)
    {
        var providers = root.Providers.ToList();

        // A value: the last provider holding it decides it.
        for (var i = providers.Count - 1; i >= 0; i--)
        {
            if (providers[i].TryGet(path, out _))
            {
                return Describe(providers[i], path, whole: true);
            }
        }

        // A section: every provider with a key below it contributes.
        var below = providers.Where(p => p.GetChildKeys([], path).Any()).ToList();
        var outside = below.FirstOrDefault(p => p is EnvironmentVariablesConfigurationProvider)
            ?? below.FirstOrDefault(p => p is CommandLineConfigurationProvider);
        return outside is null ? null : Describe(outside, path, whole: below.Count == 1);
    }

    private static string? Describe(IConfigurationProvider provider, string path, bool whole) => provider switch
    {
        EnvironmentVariablesConfigurationProvider => whole
            ? $"set by the environment variable {VariableName(path)}"
            : $"keys below it are set by environment variables {path.Replace(":", "__", StringComparison.Ordinal)}__...",
        CommandLineConfigurationProvider => whole ? "set on the command line" : "keys below it are set on the command line",
        _ => null,
    };

    /// <summary>The variable as the process has it (names ignore case in the configuration, not in a unit file).</summary>
    private static string VariableName(string path)
    {
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && string.Equals(name.Replace("__", ":", StringComparison.Ordinal), path, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return path.Replace(":", "__", StringComparison.Ordinal);
    }
}
