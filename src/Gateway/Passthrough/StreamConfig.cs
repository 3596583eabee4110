using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <summary>A plain TCP listener whose every connection goes to a cluster, with no ClientHello awaited (SMTP speaks first).</summary>
internal sealed record StreamConfig(string StreamId, HostPort Listen, string ClusterId);
