namespace Gateway.Metrics;

/// <summary>The outcome tag of <c>gateway.acme.orders</c>.</summary>
internal static class AcmeOutcomes
{
    public const string Issued = "issued";
    public const string Failed = "failed";

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [Issued, Failed];
}
