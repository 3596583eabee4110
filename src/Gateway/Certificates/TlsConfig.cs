namespace Gateway.Certificates;

/// <param name="AllowResumption">Session tickets and session-id resumption; off by default like HAProxy's no-tls-tickets.</param>
/// <param name="UnknownSni">What a ClientHello gets whose SNI no route, redirect or certificate knows (or that has none).</param>
internal sealed record TlsConfig(TlsMinProtocol MinProtocol, bool AllowResumption, IReadOnlyList<CertificateFileConfig> Certificates, UnknownSniAction UnknownSni);
