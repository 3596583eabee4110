using System.Net.Security;
using System.Security.Authentication;

namespace Gateway.Certificates;

/// <param name="AllowResumption">Session tickets and session-id resumption; off by default like HAProxy's no-tls-tickets.</param>
/// <param name="UnknownSni">What a ClientHello gets whose SNI no route, redirect or certificate knows (or that has none).</param>
/// <param name="Protocols">The TLS versions every terminated handshake offers: MinProtocol narrowed by the policy or the suites listed.</param>
/// <param name="CipherSuites">The suites every terminated handshake offers; null for OpenSSL's own choice (<see cref="TlsPolicy.Platform"/>, or TLS 1.3 only, whose suites are all AEAD).</param>
internal sealed record TlsConfig(
    TlsMinProtocol MinProtocol,
    bool AllowResumption,
    IReadOnlyList<CertificateFileConfig> Certificates,
    UnknownSniAction UnknownSni,
    TlsPolicy Policy,
    SslProtocols Protocols,
    CipherSuitesPolicy? CipherSuites);
