using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// An HttpClient whose every connection goes to the gateway's HTTPS listener, whatever the URL's host.
/// TLS is done here, not by the handler, so the test controls the ClientHello: the URL host is the SNI
/// (none for an IP), ALPN is chosen per test, and the hello goes out in the chosen shape. URLs are
/// therefore written "http://host/path" (see <see cref="Url"/>): the stream handed over is already TLS.
/// For HTTP/2 the handler does TLS itself (h2 must see the https scheme), with the hello sent whole.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private static readonly SslApplicationProtocol[] LongAlpnList =
        [.. Enumerable.Range(0, 20).Select(i => new SslApplicationProtocol($"x-{i:00}-{new string('p', 230)}")), SslApplicationProtocol.Http11];

    public GatewayClient(IPEndPoint gateway, HelloShape shape = HelloShape.Whole, Version? version = null)
    {
        var http2 = version == HttpVersion.Version20;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(gateway, cancellationToken);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                var shaping = new HelloShapingStream(socket, shape);
                LastStream = shaping;
                if (http2)
                {
                    return shaping;
                }

                var tls = new SslStream(shaping, leaveInnerStreamOpen: false);
                var host = context.DnsEndPoint.Host;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = IPAddress.TryParse(host, out _) ? "" : host,
                    ApplicationProtocols = shape == HelloShape.LargerThan4KiB ? [.. LongAlpnList] : [SslApplicationProtocol.Http11],
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        ServerCertificateThumbprint = certificate?.GetCertHashString();
                        return true;
                    },
                }, cancellationToken);
                NegotiatedProtocol = tls.NegotiatedApplicationProtocol;
                return tls;
            },
        };

        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            ServerCertificateThumbprint = certificate?.GetCertHashString();
            return true;
        };
        _http2 = http2;
        Http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        if (version is not null)
        {
            Http.DefaultRequestVersion = version;
            Http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
    }

    private readonly bool _http2;

    public HttpClient Http { get; }

    public string? ServerCertificateThumbprint { get; private set; }

    public SslApplicationProtocol NegotiatedProtocol { get; private set; }

    public HelloShapingStream? LastStream { get; private set; }

    /// <summary>A URL whose host becomes SNI and Host header; the scheme is http because TLS is already done.</summary>
    public string Url(string host, string path = "/") => $"{(_http2 ? "https" : "http")}://{host}{path}";

    public void Dispose() => Http.Dispose();
}
