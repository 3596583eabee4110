namespace Gateway.ProxyProtocol;

/// <param name="TrustedNetworks">Peers whose connections start with a PROXY v1/v2 header naming the real client; empty: none.</param>
internal sealed record ProxyProtocolConfig(IReadOnlyList<System.Net.IPNetwork> TrustedNetworks);
