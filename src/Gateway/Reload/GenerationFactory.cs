using Gateway.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace Gateway.Reload;

/// <summary>
/// Turns a configuration into a complete <see cref="Generation"/> or the full list of what is wrong with it: each
/// capability reads its share, in order. Everything that can fail - parsing, certificate files, YARP's validation,
/// host clashes - fails here, before anything is published.
/// </summary>
internal sealed class GenerationFactory(IReadOnlyList<IConfigFeature> features)
{
    public const string GatewaySection = "Gateway";

    private readonly string[] _gatewayKeys = [.. features.SelectMany(f => f.GatewayKeys)];

    /// <summary>"$schema" points editors at appsettings.schema.json.</summary>
    private readonly string[] _sections = [GatewaySection, "$schema", .. features.SelectMany(f => f.Sections)];

    /// <param name="running">The serving generation, on a reload.</param>
    /// <param name="dryRun">A check (<c>--check</c>): nothing is written to disk.</param>
    public async Task<GenerationResult> BuildAsync(IConfiguration configuration, string baseDirectory, int number, Generation? running = null, bool dryRun = false)
    {
        var next = new GenerationBuilder(configuration, baseDirectory, running, dryRun);
        RejectUnknownSections(configuration, next.Errors);
        ConfigReader.RejectUnknownKeys(next.Gateway, next.Errors, _gatewayKeys);
        foreach (var feature in features)
        {
            await feature.ReadAsync(next);
        }

        next.Reads.Check(configuration, next.Errors);

        return next.Errors.Any
            ? new GenerationResult(null, ConfigErrorSources.Name(configuration, next.Errors.All), [], next.Warnings.All)
            : new GenerationResult(next.Build(number), [], next.RestartNeeded, next.Warnings.All);
    }

    /// <summary>Reads <paramref name="location"/> and builds its generation; a file that cannot be read is an error like any other.</summary>
    public async Task<(IConfigurationRoot? Configuration, GenerationResult Result)> BuildAsync(ConfigLocation location, int number, Generation? running = null, bool dryRun = false)
    {
        var errors = new ConfigErrors();
        var configuration = ConfigSources.TryBuild(location.File, location.Overrides, errors);
        return configuration is null
            ? (null, new GenerationResult(null, errors.All, [], []))
            : (configuration, await BuildAsync(configuration, location.BaseDirectory, number, running, dryRun));
    }

    /// <summary>
    /// A section nothing reads is a mistake: a misspelt <c>Gatway</c> would start on the defaults. Environment variables
    /// are every variable of the process, so only a near miss of a section (<c>Gatway__Listeners__Https</c>) is refused there.
    /// </summary>
    private void RejectUnknownSections(IConfiguration configuration, ConfigErrors errors)
    {
        var sources = configuration is IConfigurationRoot root
            ? root.Providers.SelectMany(p => p.GetChildKeys([], null).Select(key => (Key: key, FromEnvironment: p is EnvironmentVariablesConfigurationProvider)))
            : configuration.GetChildren().Select(c => (c.Key, FromEnvironment: false));
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, fromEnvironment) in sources)
        {
            if (_sections.Contains(key, StringComparer.OrdinalIgnoreCase) || !seen.Add(key))
            {
                continue;
            }

            var nearest = NearMiss.Suggest(key, _sections);
            if (fromEnvironment)
            {
                if (nearest is not null)
                {
                    errors.Add(key, $"environment variables {key}__... set a section Gateway does not read (did you mean {nearest}__...?)");
                }

                continue;
            }

            errors.Add(key, key.ToUpperInvariant() switch
            {
                "KESTREL" or "URLS" => $"Gateway binds its own listeners and does not read '{key}': use Gateway:Listeners",
                "ALLOWEDHOSTS" => "Gateway does not read 'AllowedHosts': the host names a route answers are its ReverseProxy:Routes:{id}:Match:Hosts",
                _ => $"unknown section '{key}'{NearMiss.Hint(key, _sections)}; Gateway reads: {string.Join(", ", _sections)}",
            });
        }
    }
}
