using System.Net.Security;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Certificates;

/// <summary>
/// Chooses the TLS options for a terminated connection: an open tls-alpn-01 answer, else the configured
/// certificate for the SNI, else the ACME one, else the self-signed fallback.
/// </summary>
internal sealed class TlsOptionsSelector(GatewaySnapshotStore snapshots, ManagedCertificates managed, AcmeChallengeResponses challenges)
{
    /// <summary>Connection item set when the handshake answers a tls-alpn-01 challenge: the connection ends after it.</summary>
    public const string AcmeChallengeItem = "Gateway.AcmeChallenge";

    /// <param name="fallbackServerName">SslStream's SNI, used only when the router saw no ClientHello.</param>
    public SslServerAuthenticationOptions Select(ConnectionContext connection, string? fallbackServerName)
    {
        // The router's SNI, not SslStream's: SslStream reads only the first TLS record, so a ClientHello
        // fragmented across records would otherwise get the fallback certificate.
        var hello = connection.Items.TryGetValue(ClientHelloRouter.ClientHelloItem, out var item) ? item as ClientHelloInfo : null;
        var serverName = hello is null ? fallbackServerName : hello.ServerName;
        if (hello is not null && IsChallenge(hello) && challenges.TlsAlpn(serverName) is { } challenge)
        {
            connection.Items[AcmeChallengeItem] = true;
            return challenge;
        }

        var snapshot = snapshots.Current;
        return snapshot.Certificates.Match(serverName) ?? managed.Match(serverName, snapshot.Config.Tls) ?? snapshot.Certificates.Fallback;
    }

    private static bool IsChallenge(ClientHelloInfo hello)
    {
        foreach (var protocol in hello.ApplicationProtocols)
        {
            if (protocol == "acme-tls/1")
            {
                return true;
            }
        }

        return false;
    }
}
