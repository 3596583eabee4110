using Gateway.AccessLog;
using Gateway.Admin;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.ProxyProtocol;
using Gateway.Sni;
using Gateway.Tunnel;

namespace Gateway.Hosting;

/// <summary>Every capability's share of the configuration, in the order they are read.</summary>
internal static class GatewayFeatures
{
    public static IReadOnlyList<IConfigFeature> Create(TimeProvider time) =>
    [
        new ListenersFeature(),
        new ClientHelloFeature(),
        new ProxyProtocolFeature(),
        new LimitsFeature(),
        new PassthroughFeature(),
        new ReloadFeature(),
        new AdminFeature(),
        new AccessLogFeature(),
        new AcmeFeature(), // after the listeners: http-01 needs the HTTP one
        new ProxyFeature(), // after passthrough: a host is one or the other
        new HostingFeature(), // after every listener address
        new LoggingFeature(),
        new CertificatesFeature(time), // last: the self-signed fallback is written only for a usable configuration
    ];
}
