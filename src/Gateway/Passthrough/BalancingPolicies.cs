namespace Gateway.Passthrough;

/// <summary>The names <c>LoadBalancingPolicy</c> takes in config, one class each.</summary>
internal static class BalancingPolicies
{
    public const string RoundRobin = nameof(RoundRobin);
    public const string LeastConnections = nameof(LeastConnections);
    public const string Random = nameof(Random);
    public const string FirstAvailable = nameof(FirstAvailable);
    public const string SourceIpHash = nameof(SourceIpHash);

    public static IReadOnlyList<string> All { get; } = [RoundRobin, LeastConnections, Random, FirstAvailable, SourceIpHash];
}
