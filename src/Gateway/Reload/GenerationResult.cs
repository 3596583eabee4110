using Gateway.Configuration;

namespace Gateway.Reload;

/// <param name="Generation">Null when the configuration cannot be used.</param>
/// <param name="Errors">Every mistake found, each with its path.</param>
/// <param name="RestartNeeded">Settings a reload changed that only a restart applies (the running values stay).</param>
/// <param name="Warnings">What is usable but likely wrong, each with its path.</param>
internal sealed record GenerationResult(Generation? Generation, IReadOnlyList<ConfigError> Errors, IReadOnlyList<string> RestartNeeded, IReadOnlyList<ConfigError> Warnings)
{
    public void Deconstruct(out Generation? generation, out IReadOnlyList<ConfigError> errors)
    {
        generation = Generation;
        errors = Errors;
    }
}
