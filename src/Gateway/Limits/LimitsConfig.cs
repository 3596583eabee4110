namespace Gateway.Limits;

/// <param name="MaxConnections">Connections open at once on the public listeners (HTTPS and streams); null: no limit.</param>
/// <param name="MaxConnectionsPerClientIp">The same, per client address; null: no limit.</param>
/// <param name="NewConnectionsPerClientIpPerMinute">New connections a client address may open per minute (bursts up to as many); null: no limit.</param>
/// <param name="Http">Kestrel's limits for the HTTP served on the public listeners.</param>
internal sealed record LimitsConfig(int? MaxConnections, int? MaxConnectionsPerClientIp, int? NewConnectionsPerClientIpPerMinute, HttpLimitsConfig Http);
