using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Proxy;
using Gateway.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Proxy;

/// <summary>
/// The pooled backend connection that is closed when an answer binds an identity to it: whoever took it from the pool
/// in the meantime must see what a server's close of an idle connection looks like, so that HttpClient sends the
/// request again on another connection instead of failing it.
/// </summary>
public sealed class PooledConnectionStreamTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private readonly LoopbackSockets _sockets = new();

    public static TheoryData<string> Transports => new() { "epoll", "dotnet", "network-stream" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_read_in_flight_when_the_connection_is_closed_finds_the_end(string transport)
    {
        var (inner, socket, peer) = await ConnectedAsync(transport);
        using var _ = peer;
        await using var stream = new PooledConnectionStream(inner, socket);

        // HttpClient's read when it takes a pooled connection, started before the verdict on the last answer.
        var read = stream.ReadAsync(new byte[64]).AsTask();
        Assert.False(read.IsCompleted);
        stream.Abort();

        Assert.Equal(0, await read.WaitAsync(Guard));
        Assert.Equal(0, await stream.ReadAsync(new byte[64]));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task A_request_racing_the_verdict_on_its_pooled_connection_goes_out_on_another(string method)
    {
        var requests = new List<string>();
        var connections = 0;
        await using var backend = new RawTcpBackend(socket => AnswerEveryRequestAsync(socket, requests, () => Interlocked.Increment(ref connections)));
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new PooledConnectionStream(new NetworkStream(socket, ownsSocket: true), socket);
            },
        });
        var bound = new BackendExchange();
        var next = new BackendExchange();

        // The answer has no body, so its connection is back in the pool before anyone judges it.
        using (var first = await SendAsync(client, backend, HttpMethod.Get, "/login", bound))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // The client sends again on a new connection only a request it knows it has not sent, and never one with a
        // body: the request must not be given the connection while the verdict is out.
        var second = SendAsync(client, backend, new HttpMethod(method), "/anonymous", next);
        await Poll.UntilAsync(() => second.IsCompleted || bound.IsAwaited, "the second request is answered or waits for the verdict");
        bound.Judge(bound: true);

        using var answer = await second.WaitAsync(Guard);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(2, backend.Accepted);
        lock (requests)
        {
            Assert.Equal(["1 /login", "2 /anonymous"], requests);
        }
    }

    public void Dispose() => _sockets.Dispose();

    private static Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client, RawTcpBackend backend, HttpMethod method, string path, BackendExchange exchange) =>
        Task.Run(() =>
        {
            BackendExchange.Current.Value = exchange;
            var request = new HttpRequestMessage(method, $"http://{backend.Address}{path}");
            if (method == HttpMethod.Post)
            {
                request.Content = new StringContent("form=1");
            }

            return client.SendAsync(request, CancellationToken.None);
        });

    /// <summary>Answers each request with an empty 200, and records it with the number of the connection it came on.</summary>
    private static async Task AnswerEveryRequestAsync(Socket socket, List<string> requests, Func<int> connectionNumber)
    {
        var connection = connectionNumber();
        var received = "";
        var buffer = new byte[4096];
        while (true)
        {
            int end;
            while ((end = received.IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0 || received.Length < end + 4 + BodyLength(received[..end]))
            {
                var read = await socket.ReceiveAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                received += Encoding.ASCII.GetString(buffer, 0, read);
            }

            lock (requests)
            {
                requests.Add($"{connection} {received.Split(' ')[1]}");
            }

            received = received[(end + 4 + BodyLength(received[..end]))..];
            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
        }
    }

    private static int BodyLength(string head) =>
        head.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } length
            ? int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    private async Task<(Stream Inner, Socket Socket, Socket Peer)> ConnectedAsync(string transport)
    {
        if (transport == "network-stream")
        {
            var socket = LoopbackSockets.NewSocket();
            var accepting = _sockets.Listener.AcceptAsync();
            await socket.ConnectAsync(_sockets.Listener.LocalEndPoint!);
            return (new NetworkStream(socket, ownsSocket: true), socket, await accepting);
        }

        var (io, peer) = await _sockets.DialledAsync(_sockets.Engine(transport));
        return (new SocketStream(io), io.Socket, peer);
    }
}
