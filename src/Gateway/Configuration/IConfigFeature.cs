namespace Gateway.Configuration;

/// <summary>
/// A capability's share of the configuration: it reads its keys, reports every mistake with its path, and adds
/// what it compiled to the generation. Capabilities are read in the order they are registered, so one may use a
/// part an earlier one added.
/// </summary>
internal interface IConfigFeature
{
    /// <summary>The keys directly under <c>Gateway</c> that this capability reads; any other key there is refused.</summary>
    IReadOnlyList<string> GatewayKeys { get; }

    /// <summary>Top-level sections besides <c>Gateway</c> that this capability reads (YARP's, <c>Logging</c>); any other is refused.</summary>
    IReadOnlyList<string> Sections => [];

    ValueTask ReadAsync(GenerationBuilder next);
}
