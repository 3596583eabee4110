namespace Gateway.Configuration;

internal sealed record PassthroughConfig(
    IReadOnlyDictionary<string, PassthroughRouteConfig> Routes,
    IReadOnlyDictionary<string, PassthroughClusterConfig> Clusters,
    IReadOnlyDictionary<string, StreamConfig> Streams);

/// <param name="Access">Client networks allowed or denied before anything is dialled (a denied client is closed at once).</param>
internal sealed record PassthroughRouteConfig(string RouteId, IReadOnlyList<HostPattern> Hosts, string ClusterId, Access.AccessRules Access);

/// <summary>A plain TCP listener whose every connection goes to a cluster, with no ClientHello awaited (SMTP speaks first).</summary>
internal sealed record StreamConfig(string StreamId, HostPort Listen, string ClusterId);

/// <param name="ConnectTimeout">Bound on dialing one destination.</param>
/// <param name="IdleTimeout">A tunnel with no bytes either way for this long is closed (ActiveSync holds requests ~45 min).</param>
/// <param name="LoadBalancingPolicy">A name from <see cref="Balancing.LoadBalancingPolicies"/>.</param>
/// <param name="Retries">Further destinations tried when a connect fails, before the client is closed.</param>
/// <param name="MaxConnections">Tunnels open at once to this cluster; null: no limit.</param>
/// <param name="ProxyProtocol">The PROXY header sent to destinations before the client's bytes, so they see the real client.</param>
internal sealed record PassthroughClusterConfig(
    string ClusterId,
    IReadOnlyList<DestinationConfig> Destinations,
    TimeSpan ConnectTimeout,
    TimeSpan IdleTimeout,
    string LoadBalancingPolicy,
    SessionAffinityConfig? SessionAffinity,
    ActiveHealthCheckConfig HealthCheck,
    int Retries,
    int? MaxConnections,
    ProxyProtocolVersion ProxyProtocol = ProxyProtocolVersion.None);

internal enum ProxyProtocolVersion
{
    None,
    V1,
    V2,
}

/// <param name="State">Active takes new connections; Drain keeps the open ones but takes no new ones; Disabled takes none.</param>
internal sealed record DestinationConfig(string DestinationId, HostPort Address, DestinationAdminState State = DestinationAdminState.Active);

internal enum DestinationAdminState
{
    Active,
    Drain,
    Disabled,
}

/// <summary>HAProxy's <c>stick-table type ip size {MaxEntries} expire {Expiry}</c> + <c>stick on src</c>.</summary>
internal sealed record SessionAffinityConfig(TimeSpan Expiry, int MaxEntries);

internal enum HealthCheckMode
{
    /// <summary>A TCP connect that succeeds is healthy.</summary>
    Tcp,

    /// <summary>A TLS handshake must complete too, so a port that accepts but whose TLS stack is dead counts as down.</summary>
    Tls,
}

/// <param name="Rise">Consecutive successes that bring a down destination back (HAProxy's rise, default 2).</param>
/// <param name="Fall">Consecutive failures - checks or connects - that take it down (HAProxy's fall, default 3).</param>
internal sealed record ActiveHealthCheckConfig(bool Enabled, TimeSpan Interval, TimeSpan Timeout, int Rise, int Fall, HealthCheckMode Mode)
{
    public static ActiveHealthCheckConfig Disabled { get; } = new(false, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), 2, 3, HealthCheckMode.Tcp);
}
