using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>A bare TLS handshake with the gateway, for what HttpClient hides: the negotiated ALPN, a refused SNI.</summary>
public static class TlsHandshake
{
    /// <summary>Connects and handshakes with <paramref name="host"/> as SNI, offering <paramref name="alpn"/> (h2 and http/1.1 by default); the caller disposes the stream.</summary>
    public static async Task<SslStream> HandshakeAsync(IPEndPoint endpoint, string host, IReadOnlyList<SslApplicationProtocol>? alpn = null)
    {
        var tcp = new TcpClient();
        SslStream? tls = null;
        try
        {
            await tcp.ConnectAsync(endpoint);
            tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = [.. alpn ?? [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11]],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            return tls;
        }
        catch
        {
            if (tls is not null)
            {
                await tls.DisposeAsync();
            }

            tcp.Dispose();
            throw;
        }
    }

    /// <summary>The application protocol the gateway picks for <paramref name="host"/> from h2 and http/1.1.</summary>
    public static async Task<SslApplicationProtocol> NegotiateAsync(IPEndPoint endpoint, string host)
    {
        await using var tls = await HandshakeAsync(endpoint, host);
        return tls.NegotiatedApplicationProtocol;
    }
}
