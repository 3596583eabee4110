using System.Net.Security;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Proxy;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Edge;

/// <summary>
/// Chooses the TLS options for a terminated connection: an open tls-alpn-01 answer, else the configured
/// certificate for the SNI, else the ACME one, else the self-signed fallback; offering only http/1.1 for hosts
/// of connection-pinned clusters.
/// </summary>
internal sealed class TlsOptionsSelector(GenerationStore generations, ManagedCertificates managed, AcmeChallengeResponses challenges)
{
    /// <summary>Connection item set when the handshake answers a tls-alpn-01 challenge: the connection ends after it.</summary>
    public const string AcmeChallengeItem = "Gateway.AcmeChallenge";

    private static readonly List<SslApplicationProtocol> Http11Protocols = [SslApplicationProtocol.Http11];

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SslServerAuthenticationOptions, SslServerAuthenticationOptions> _http11Only = [];

    /// <param name="fallbackServerName">SslStream's SNI, used only when the router saw no ClientHello.</param>
    /// <remarks>Completes synchronously but for a tls-alpn-01 answer that another instance published in the certificate store.</remarks>
    public async ValueTask<SslServerAuthenticationOptions> SelectAsync(ConnectionContext connection, string? fallbackServerName)
    {
        // The router's SNI, not SslStream's: SslStream reads only the first TLS record, so a ClientHello
        // fragmented across records would otherwise get the fallback certificate.
        var hello = connection.Items.TryGetValue(ClientHelloInfo.ItemKey, out var item) ? item as ClientHelloInfo : null;
        var serverName = hello is null ? fallbackServerName : hello.ServerName;
        var generation = generations.Current;
        if (hello is not null && IsChallenge(hello) && await challenges.TlsAlpnAsync(serverName, generation.Get<TlsConfig>(), connection.ConnectionClosed) is { } challenge)
        {
            connection.Items[AcmeChallengeItem] = true;
            return challenge;
        }

        var options = generation.Get<CertificateSet>().Match(serverName) ?? managed.Match(serverName, generation.Get<TlsConfig>()) ?? generation.Get<CertificateSet>().Fallback;
        if (!generation.Get<ProxyPolicies>().Http11Only(serverName))
        {
            return options;
        }

        // The same certificate and settings offering only http/1.1: hosts of connection-pinned clusters must not
        // negotiate HTTP/2. Every options instance above was built with this generation's TLS settings.
        if (!_http11Only.TryGetValue(options, out var http11))
        {
            http11 = CertificateSet.CreateOptions(options.ServerCertificateContext!, generation.Get<TlsConfig>(), Http11Protocols);
            _http11Only.AddOrUpdate(options, http11);
        }

        return http11;
    }

    private static bool IsChallenge(ClientHelloInfo hello)
    {
        foreach (var protocol in hello.ApplicationProtocols)
        {
            if (protocol == TlsAlpnChallengeCertificate.ProtocolName)
            {
                return true;
            }
        }

        return false;
    }
}
