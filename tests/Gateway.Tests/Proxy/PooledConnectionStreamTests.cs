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
        var (inner, peer) = await ConnectedAsync(transport);
        using var _ = peer;
        await using var stream = new PooledConnectionStream(inner);

        // HttpClient's read when it takes a pooled connection, started before the verdict on the last answer.
        var read = stream.ReadAsync(new byte[64]).AsTask();
        Assert.False(read.IsCompleted);
        stream.Abort();

        Assert.Equal(0, await read.WaitAsync(Guard));
        Assert.Equal(0, await stream.ReadAsync(new byte[64]));
    }

    [Fact]
    public async Task A_request_that_took_the_connection_before_the_verdict_is_sent_again_on_another()
    {
        var requests = new List<string>();
        await using var backend = new RawTcpBackend(socket => AnswerEveryRequestAsync(socket, requests));
        using var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new PooledConnectionStream(new NetworkStream(socket, ownsSocket: true));
            },
        });
        var bound = new BackendExchange();
        var next = new BackendExchange();

        // The answer has no body, so its connection is back in the pool before anyone judges it.
        using (var first = await SendAsync(client, backend, "/login", bound))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var second = SendAsync(client, backend, "/anonymous", next);
        await Poll.UntilAsync(() => bound.IsAwaited, "the next request waits for the verdict on the pooled connection");
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

    private static Task<HttpResponseMessage> SendAsync(HttpMessageInvoker client, RawTcpBackend backend, string path, BackendExchange exchange) =>
        Task.Run(() =>
        {
            BackendExchange.Current.Value = exchange;
            return client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"http://{backend.Address}{path}"), CancellationToken.None);
        });

    /// <summary>Answers each request with an empty 200, and records it with the number of the connection it came on.</summary>
    private static async Task AnswerEveryRequestAsync(Socket socket, List<string> requests)
    {
        int connection;
        lock (requests)
        {
            connection = requests.Select(r => r.Split(' ')[0]).Distinct().Count() + 1;
        }

        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                return;
            }

            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            int end;
            while ((end = received.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) >= 0)
            {
                var path = received.ToString().Split(' ')[1];
                received.Remove(0, end + 4);
                lock (requests)
                {
                    requests.Add($"{connection} {path}");
                }

                await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
            }
        }
    }

    private async Task<(Stream Inner, Socket Peer)> ConnectedAsync(string transport)
    {
        if (transport == "network-stream")
        {
            var socket = LoopbackSockets.NewSocket();
            var accepting = _sockets.Listener.AcceptAsync();
            await socket.ConnectAsync(_sockets.Listener.LocalEndPoint!);
            return (new NetworkStream(socket, ownsSocket: true), await accepting);
        }

        var (io, peer) = await _sockets.DialledAsync(_sockets.Engine(transport));
        return (new SocketStream(io), peer);
    }
}
