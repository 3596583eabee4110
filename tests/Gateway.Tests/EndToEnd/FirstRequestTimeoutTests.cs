using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// A connection that reaches HTTP and sends no request is closed at Limits:Http:RequestHeadersTimeout, not held for the
/// keep-alive timeout (an hour here, so a close within the 30 s guard can only be the headers timeout); a slow but
/// complete first request, keep-alive after it, and a WebSocket idle for longer are untouched.
/// </summary>
public sealed class FirstRequestTimeoutTests : IAsyncLifetime
{
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private static readonly byte[] EmptySettings = [0, 0, 0, 4, 0, 0, 0, 0, 0];

    private TestBackend _backend = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("app");
        var gateway = JsonNode.Parse("""
            { "Limits": { "Http": { "RequestHeadersTimeout": "2s", "KeepAliveTimeout": "1h" } } }
            """)!.AsObject();
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "app": { "ClusterId": "app", "Match": { "Hosts": [ "app.test" ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "a": { "Address": "http://{{_backend.Address}}/" } } } }
            }
            """)!.AsObject();
        _gateway = await TestGateway.StartAsync(gateway, proxy);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("http/1.1", false)]
    [InlineData("h2", false)]
    [InlineData("h2", true)]
    public async Task A_silent_connection_after_the_tls_handshake_is_closed_at_the_headers_timeout(string alpn, bool preface)
    {
        await using var tls = await TlsHandshake.HandshakeAsync(_gateway.Https, "app.test", [new SslApplicationProtocol(alpn)]);
        var handshaken = Stopwatch.StartNew();
        Assert.Equal(alpn, tls.NegotiatedApplicationProtocol.ToString());
        if (preface)
        {
            // What an HTTP/2 client sends before its first request: Kestrel answers with its SETTINGS and then waits.
            await tls.WriteAsync(Http2Preface.Concat(EmptySettings).ToArray());
        }

        var closedAfter = await ClosedAfterAsync(tls, handshaken);

        Assert.True(closedAfter >= HeadersTimeout - TimeSpan.FromSeconds(0.5), $"closed after {closedAfter}, before the headers timeout");
    }

    [Theory]
    [InlineData("h2", "PING frames")]
    [InlineData("http/1.1", "a request head one byte at a time")]
    [InlineData("http/1.1", "empty lines")]
    public async Task A_client_that_keeps_sending_but_never_completes_a_request_is_closed_at_the_headers_timeout(string alpn, string sends)
    {
        await using var tls = await TlsHandshake.HandshakeAsync(_gateway.Https, "app.test", [new SslApplicationProtocol(alpn)]);
        var handshaken = Stopwatch.StartNew();
        if (alpn == "h2")
        {
            await tls.WriteAsync(Http2Preface.Concat(EmptySettings).ToArray());
        }

        using var stop = new CancellationTokenSource();
        var sending = KeepSendingAsync(tls, sends, stop.Token);
        var closedAfter = await ClosedAfterAsync(tls, handshaken);
        await stop.CancelAsync();
        await sending;

        Assert.True(closedAfter >= HeadersTimeout - TimeSpan.FromSeconds(0.5), $"closed after {closedAfter}, before the headers timeout");
    }

    [Theory]
    [InlineData("http")]
    [InlineData("admin")]
    public async Task A_silent_plain_connection_is_closed_at_the_headers_timeout(string listener)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(listener == "http" ? _gateway.Http : _gateway.Admin);
        var connected = Stopwatch.StartNew();
        await using var stream = new NetworkStream(socket, ownsSocket: false);

        var closedAfter = await ClosedAfterAsync(stream, connected);

        Assert.True(closedAfter >= HeadersTimeout - TimeSpan.FromSeconds(0.5), $"closed after {closedAfter}, before the headers timeout");
    }

    [Fact]
    public async Task A_slow_complete_first_request_is_served_and_the_connection_then_waits_for_the_keep_alive_timeout()
    {
        await using var tls = await TlsHandshake.HandshakeAsync(_gateway.Https, "app.test", [SslApplicationProtocol.Http11]);

        // The head in three pieces over about 1.2 s: slow, but complete within the headers timeout.
        foreach (var piece in new[] { "GET / HTTP/1.1\r\n", "Host: app.test\r\n", "\r\n" })
        {
            await Task.Delay(TimeSpan.FromSeconds(0.4));
            await tls.WriteAsync(Encoding.ASCII.GetBytes(piece));
        }

        Assert.StartsWith("HTTP/1.1 200", await ReadResponseAsync(tls));

        // Idle for longer than the headers timeout after a response: that wait is the keep-alive timeout's.
        await Task.Delay(HeadersTimeout * 2);
        await tls.WriteAsync("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n"u8.ToArray());
        Assert.StartsWith("HTTP/1.1 200", await ReadResponseAsync(tls));
    }

    [Fact]
    public async Task A_websocket_idle_for_longer_than_the_headers_timeout_stays_open()
    {
        using var client = HostClient.Create(_gateway.Https, "app.test");
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri("ws://app.test/ws"), client, CancellationToken.None);

        await Task.Delay(HeadersTimeout * 2);
        var message = "still here"u8.ToArray();
        await socket.SendAsync(message, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[100];
        using var guard = new CancellationTokenSource(Guard);
        var received = await socket.ReceiveAsync(buffer, guard.Token);

        Assert.Equal(message, buffer.AsSpan(0, received.Count).ToArray());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    /// <summary>Something every 300 ms that is never a complete request, until the connection fails or the test stops.</summary>
    private static async Task KeepSendingAsync(Stream stream, string sends, CancellationToken stop)
    {
        byte[] ping = [0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        var head = "GET / HTTP/1.1\r\nHost: app.test\r\nX-Slow: "u8.ToArray();
        try
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var bytes = sends switch
                {
                    "PING frames" => ping,
                    "empty lines" => "\r\n"u8.ToArray(),
                    _ => [i < head.Length ? head[i] : (byte)'x'],
                };
                await stream.WriteAsync(bytes, stop);
                await Task.Delay(300, stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads (and drops) what the gateway sends until it closes; fails if it has not within <see cref="Guard"/>.</summary>
    private static async Task<TimeSpan> ClosedAfterAsync(Stream stream, Stopwatch since)
    {
        using var guard = new CancellationTokenSource(Guard);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, guard.Token) > 0)
            {
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection was still open after {Guard}");
        }
        catch (IOException)
        {
            // A reset is a close too.
        }

        return since.Elapsed;
    }

    /// <summary>One HTTP/1.1 response (Content-Length or chunked), as text.</summary>
    private static async Task<string> ReadResponseAsync(Stream stream)
    {
        using var guard = new CancellationTokenSource(Guard);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!Complete(received.ToString()))
        {
            var read = await stream.ReadAsync(buffer, guard.Token);
            Assert.True(read > 0, $"the connection closed after: {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return received.ToString();

        static bool Complete(string text)
        {
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0)
            {
                return false;
            }

            var head = text[..end];
            var length = head.Split("\r\n").FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            return length is not null
                ? text.Length - end - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
                : text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
        }
    }
}
