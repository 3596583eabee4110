using Gateway.ProxyProtocol;

namespace Gateway.Passthrough;

/// <param name="ConnectTimeout">Bound on dialing one destination.</param>
/// <param name="IdleTimeout">A tunnel with no bytes either way for this long is closed (ActiveSync holds requests ~45 min).</param>
/// <param name="LoadBalancingPolicy">A name from <see cref="BalancingPolicies"/>.</param>
/// <param name="Retries">Further destinations tried when a connect fails, before the client is closed.</param>
/// <param name="MaxConnections">Tunnels open at once to this cluster; null: no limit.</param>
/// <param name="ProxyProtocol">The PROXY header sent to destinations before the client's bytes, so they see the real client.</param>
internal sealed record PassthroughClusterConfig(
    string ClusterId,
    IReadOnlyList<PassthroughDestinationConfig> Destinations,
    TimeSpan ConnectTimeout,
    TimeSpan IdleTimeout,
    string LoadBalancingPolicy,
    SourceIpAffinityConfig? SessionAffinity,
    PassthroughHealthCheckConfig HealthCheck,
    int Retries,
    int? MaxConnections,
    ProxyProtocolVersion ProxyProtocol = ProxyProtocolVersion.None);
