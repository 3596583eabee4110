using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Reload;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Infrastructure;

/// <summary>Reads settings the way a start does (every capability, in order), without writing anything to disk.</summary>
internal static class ConfigUnderTest
{
    public static Task<GenerationResult> BuildAsync(IConfiguration configuration, string baseDirectory) =>
        new GenerationFactory(GatewayFeatures.Create(TimeProvider.System)).BuildAsync(configuration, baseDirectory, 1, dryRun: true);

    /// <returns>The generation, or null when <paramref name="errors"/> has any.</returns>
    public static Generation? Read(Dictionary<string, string?> values, string baseDirectory, out ConfigErrors errors) =>
        Read(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), baseDirectory, out errors);

    public static Generation? Read(IConfiguration configuration, string baseDirectory, out ConfigErrors errors)
    {
        var result = BuildAsync(configuration, baseDirectory).GetAwaiter().GetResult();
        errors = new ConfigErrors();
        foreach (var error in result.Errors)
        {
            errors.Add(error.Path, error.Message);
        }

        return result.Generation;
    }
}
