namespace Gateway.Passthrough;

/// <summary>HAProxy's <c>stick-table type ip size {MaxEntries} expire {Expiry}</c> + <c>stick on src</c>.</summary>
internal sealed record SourceIpAffinityConfig(TimeSpan Expiry, int MaxEntries);
