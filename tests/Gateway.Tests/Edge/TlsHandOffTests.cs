using System.Net.Security;
using System.Net.Sockets;
using Gateway.Tests.EndToEnd;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Edge;

/// <summary>The edge reads a terminated connection's ClientHello itself; Kestrel's TLS must still see every byte of it.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TlsHandOffTests(GatewayScenarioFixture fixture) : IClassFixture<GatewayScenarioFixture>
{
    [Theory]
    [InlineData(5)]
    [InlineData(200)]
    public async Task A_client_hello_sent_in_pieces_reaches_tls_termination_whole(int pieceSize)
    {
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(fixture.Scenario.Gateway.Https);
        await using var tls = new SslStream(new TricklingStream(tcp.GetStream(), pieceSize), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = GatewayScenario.AppHost,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });

        await tls.WriteAsync("GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"u8.ToArray());
        var response = await new StreamReader(tls).ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 200", response, StringComparison.Ordinal);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.Contains("app ", body, StringComparison.Ordinal); // the backend's answer, whether chunked or not
    }

    /// <summary>Sends its first write (the ClientHello) in pieces, each its own TCP segment, a moment apart.</summary>
    private sealed class TricklingStream(Stream inner, int pieceSize) : PassThroughStream(inner)
    {
        private bool _trickled;

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_trickled)
            {
                await Inner.WriteAsync(buffer, cancellationToken);
                return;
            }

            _trickled = true;
            for (var offset = 0; offset < buffer.Length; offset += pieceSize)
            {
                await Inner.WriteAsync(buffer[offset..Math.Min(buffer.Length, offset + pieceSize)], cancellationToken);
                await Inner.FlushAsync(cancellationToken);
                await Task.Delay(2, cancellationToken);
            }
        }
    }
}
