using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// An HttpClient for one host name behind the gateway: every connection goes to <c>gateway</c> (TLS done in the
/// connect callback, with the host as SNI, unless <c>tls</c> is off), the host travels as the Host header, and
/// the URLs name 127.0.0.1 - so nothing is looked up in DNS (the NTLM client would otherwise resolve the host
/// to build its service name). <c>from</c> binds another loopback source address, for network rules; <c>preamble</c>
/// is sent first on every connection (a PROXY header).
/// </summary>
public static class HostClient
{
    public static HttpClient Create(IPEndPoint gateway, string host, NetworkCredential? credential = null, IPAddress? from = null,
        Action? onConnect = null, bool tls = true, byte[]? preamble = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            MaxConnectionsPerServer = 1,
            Credentials = credential,
            ConnectCallback = async (_, cancellationToken) =>
            {
                onConnect?.Invoke();
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    if (from is not null)
                    {
                        socket.Bind(new IPEndPoint(from, 0));
                    }

                    await socket.ConnectAsync(gateway, cancellationToken);
                    if (preamble is not null)
                    {
                        await socket.SendAsync(preamble, SocketFlags.None, cancellationToken);
                    }

                    var stream = new NetworkStream(socket, ownsSocket: true);
                    if (!tls)
                    {
                        return stream;
                    }

                    var secure = new SslStream(stream);
                    await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                        RemoteCertificateValidationCallback = (_, _, _, _) => true,
                    }, cancellationToken);
                    return secure;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var client = new HttpClient(handler) { BaseAddress = new Uri("http://127.0.0.1/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Host = host;
        return client;
    }
}
