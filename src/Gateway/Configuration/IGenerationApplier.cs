namespace Gateway.Configuration;

/// <summary>
/// Runtime state that a new generation must reach before it is published (YARP's routes, passthrough cluster
/// state). Appliers run in registration order; when one refuses, those before it are reverted and the running
/// generation keeps serving.
/// </summary>
internal interface IGenerationApplier
{
    /// <returns>Null when <paramref name="next"/> is in effect, or why it cannot be.</returns>
    ValueTask<ConfigError?> ApplyAsync(Generation next, Generation current);

    /// <summary>Back to <paramref name="current"/> after a later applier refused the next generation.</summary>
    ValueTask RevertAsync(Generation current);
}
