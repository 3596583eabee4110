namespace Gateway.Configuration;

/// <summary>
/// One immutable generation of the <c>Gateway</c> section, already validated. Runtime state
/// (open tunnels, health, certificates in memory) lives elsewhere and outlives it.
/// </summary>
internal sealed record GatewayConfig(
    ListenersConfig Listeners,
    ClientHelloConfig ClientHello,
    PassthroughConfig Passthrough,
    TlsConfig Tls,
    string CertificatesPath,
    ReloadConfig Reload,
    LimitsConfig Limits,
    TimeSpan ShutdownTimeout,
    AdminConfig Admin,
    AcmeConfig Acme,
    ProxyPoliciesConfig Proxy,
    ProxyProtocolConfig ProxyProtocol);

/// <param name="TrustedNetworks">Peers whose connections start with a PROXY v1/v2 header naming the real client; empty: none.</param>
internal sealed record ProxyProtocolConfig(IReadOnlyList<System.Net.IPNetwork> TrustedNetworks);

/// <param name="MaxConnections">Connections open at once on the public listeners (HTTPS and streams); null: no limit.</param>
/// <param name="MaxConnectionsPerClientIp">The same, per client address; null: no limit.</param>
/// <param name="NewConnectionsPerClientIpPerMinute">New connections a client address may open per minute (bursts up to as many); null: no limit.</param>
/// <param name="Http">Kestrel's limits for the HTTP served on the public listeners.</param>
internal sealed record LimitsConfig(int? MaxConnections, int? MaxConnectionsPerClientIp, int? NewConnectionsPerClientIpPerMinute, HttpLimitsConfig Http);

/// <param name="RequestHeadersTimeout">From a connection's start (the end of its TLS handshake) to its first complete request head; for a later request, from its first byte.</param>
/// <param name="KeepAliveTimeout">An idle keep-alive connection is closed after this.</param>
/// <param name="MaxRequestHeadersTotalSize">Bytes of request line and headers together.</param>
/// <param name="MaxRequestHeaderCount">Header fields per request.</param>
/// <param name="MinRequestBodyDataRate">Bytes per second a request body must keep up after a 5 s grace; 0: no minimum. Lifted for connection-pinned clusters.</param>
/// <param name="MaxRequestBodySize">Largest request body; null: no limit. Lifted for connection-pinned clusters.</param>
internal sealed record HttpLimitsConfig(
    TimeSpan RequestHeadersTimeout,
    TimeSpan KeepAliveTimeout,
    int MaxRequestHeadersTotalSize,
    int MaxRequestHeaderCount,
    int MinRequestBodyDataRate,
    long? MaxRequestBodySize);

/// <param name="CloseRemovedAfter">How long tunnels of a route removed by a reload may keep running; null: until they end.</param>
internal sealed record ReloadConfig(TimeSpan? CloseRemovedAfter);

/// <param name="Https">The :443 listener: ClientHello router, then passthrough or TLS termination.</param>
/// <param name="Http">The :80 listener that redirects to https; null when switched off.</param>
/// <param name="HttpsPublicPort">The port clients reach <paramref name="Https"/> on, used in redirects; null means the listener's own port.</param>
internal sealed record ListenersConfig(HostPort Https, HostPort? Http, int? HttpsPublicPort);

/// <param name="Timeout">How long a new connection may take to send its whole ClientHello (HAProxy's inspect-delay).</param>
/// <param name="MaxBytes">The most bytes the ClientHello may occupy, record headers included.</param>
internal sealed record ClientHelloConfig(TimeSpan Timeout, int MaxBytes);

internal enum TlsMinProtocol
{
    Tls12,
    Tls13,
}

internal enum UnknownSniAction
{
    /// <summary>Complete the handshake with the fallback certificate and answer with the default site.</summary>
    Terminate,

    /// <summary>Close the connection before any TLS answer: scanners learn nothing, not even a certificate.</summary>
    Reject,
}

/// <param name="AllowResumption">Session tickets and session-id resumption; off by default like HAProxy's no-tls-tickets.</param>
/// <param name="UnknownSni">What a ClientHello gets whose SNI no route, redirect or certificate knows (or that has none).</param>
internal sealed record TlsConfig(TlsMinProtocol MinProtocol, bool AllowResumption, IReadOnlyList<CertificateFileConfig> Certificates, UnknownSniAction UnknownSni);

/// <param name="CertificatePath">PEM file: the leaf first, then its intermediates.</param>
/// <param name="KeyPath">PEM file with the private key (PKCS#8, RSA or EC).</param>
internal sealed record CertificateFileConfig(HostPattern Host, string CertificatePath, string KeyPath, string ConfigPath);
