namespace Gateway.Passthrough.Balancing;

/// <summary>One active health check: when it started, how long it took, and why it failed (null: it passed).</summary>
internal sealed record HealthCheckResult(DateTimeOffset At, TimeSpan Duration, string? Failure);
