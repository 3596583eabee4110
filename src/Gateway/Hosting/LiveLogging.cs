using Gateway.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Gateway.Hosting;

/// <summary>
/// Applies a reload's <c>Logging</c> section: ASP.NET Core's logging follows the host's configuration, which is
/// pointed at the new section once its generation is serving. Levels and console options change without a restart.
/// </summary>
internal static class LiveLogging
{
    /// <param name="host">The host's configuration, built on the first generation's; a source added last overrides it.</param>
    public static void Follow(GenerationStore generations, ConfigurationManager host)
    {
        var first = Keys(generations.Current);
        var sources = ((IConfigurationBuilder)host).Sources;
        sources.Add(Source(generations.Current, first));
        generations.Published += (previous, next) =>
        {
            if (previous.Get<LoggingConfig>().Fingerprint != next.Get<LoggingConfig>().Fingerprint)
            {
                // One assignment, one reload of the host's configuration: never a moment without rules.
                sources[^1] = Source(next, first);
            }
        };
    }

    private static Dictionary<string, string?> Keys(Generation generation) =>
        generation.Get<LoggingConfig>().Section.AsEnumerable()
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>The generation's Logging keys, and an empty value for each key of the first one it no longer has (an empty level is no rule).</summary>
    private static MemoryConfigurationSource Source(Generation generation, Dictionary<string, string?> first)
    {
        var keys = Keys(generation);
        foreach (var removed in first.Keys.Where(key => !keys.ContainsKey(key)))
        {
            keys[removed] = "";
        }

        return new MemoryConfigurationSource { InitialData = keys };
    }
}
