using System.Net.Security;
using System.Security.Authentication;

namespace Gateway.Certificates;

/// <param name="AllowResumption">Session tickets and session-id resumption, with keys that change every <see cref="TicketKeyLifetime"/>.</param>
/// <param name="UnknownSni">What a ClientHello gets whose SNI no route, redirect or certificate knows (or that has none).</param>
/// <param name="Protocols">The TLS versions every terminated handshake offers: MinProtocol narrowed by the policy or the suites listed.</param>
/// <param name="CipherSuites">The suites every terminated handshake offers; null for .NET's own choice (<see cref="TlsPolicy.Platform"/>,
/// TLS 1.3 only, whose suites are all AEAD, or <see cref="TlsPolicy.Intermediate"/>, which narrows .NET's choice by <paramref name="StrictSuites"/>).</param>
/// <param name="StrictSuites">
/// For <see cref="TlsPolicy.Intermediate"/> without a list: the suites a TLS 1.2 ClientHello gets when it offers no
/// AEAD suite .NET's own list would choose first (see Edge.TlsOptionsSelector). Null otherwise.
/// </param>
internal sealed record TlsConfig(
    TlsMinProtocol MinProtocol,
    bool AllowResumption,
    IReadOnlyList<CertificateFileConfig> Certificates,
    UnknownSniAction UnknownSni,
    TlsPolicy Policy,
    SslProtocols Protocols,
    CipherSuitesPolicy? CipherSuites,
    CipherSuitesPolicy? StrictSuites = null)
{
    /// <summary>
    /// How long one set of session ticket keys encrypts tickets before a new one replaces it: the window in which a
    /// stolen key reveals recorded TLS 1.2 sessions (forward secrecy's cost of resumption), as Caddy and Go's crypto/tls
    /// rotate theirs. docs/configuration.md gives the trade.
    /// </summary>
    public static readonly TimeSpan TicketKeyLifetime = TimeSpan.FromHours(12);
}
