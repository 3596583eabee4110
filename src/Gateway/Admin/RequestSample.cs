namespace Gateway.Admin;

/// <summary>
/// One point of an L7 route's history: over the interval before <paramref name="At"/>, requests per second, the share
/// of them that were server errors, and the median and 99th percentile latency (null without requests).
/// </summary>
internal sealed record RequestSample(DateTimeOffset At, double RequestsPerSecond, double ErrorRate, double? P50Milliseconds, double? P99Milliseconds);
