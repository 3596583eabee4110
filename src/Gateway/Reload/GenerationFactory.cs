using Gateway.Configuration;

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

    /// <param name="running">The serving generation, on a reload.</param>
    /// <param name="dryRun">A check (<c>--check</c>): nothing is written to disk.</param>
    public async Task<GenerationResult> BuildAsync(IConfiguration configuration, string baseDirectory, int number, Generation? running = null, bool dryRun = false)
    {
        var next = new GenerationBuilder(configuration, baseDirectory, running, dryRun);
        ConfigReader.RejectUnknownKeys(next.Gateway, next.Errors, _gatewayKeys);
        foreach (var feature in features)
        {
            await feature.ReadAsync(next);
        }

        return next.Errors.Any
            ? new GenerationResult(null, next.Errors.All, [])
            : new GenerationResult(next.Build(number), [], next.RestartNeeded);
    }

    /// <summary>Reads <paramref name="location"/> and builds its generation; a file that cannot be read is an error like any other.</summary>
    public async Task<(IConfigurationRoot? Configuration, GenerationResult Result)> BuildAsync(ConfigLocation location, int number, Generation? running = null, bool dryRun = false)
    {
        var errors = new ConfigErrors();
        var configuration = ConfigSources.TryBuild(location.File, location.Overrides, errors);
        return configuration is null
            ? (null, new GenerationResult(null, errors.All, []))
            : (configuration, await BuildAsync(configuration, location.BaseDirectory, number, running, dryRun));
    }
}
