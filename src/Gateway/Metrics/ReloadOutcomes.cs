namespace Gateway.Metrics;

/// <summary>The outcome tag of <c>gateway.config.reloads</c>.</summary>
internal static class ReloadOutcomes
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [Applied, Rejected];
}
