using Gateway.Admin;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.ProxyProtocol;
using Gateway.Sni;
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
