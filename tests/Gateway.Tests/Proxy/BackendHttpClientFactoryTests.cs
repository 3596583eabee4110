using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Proxy;
using Gateway.Sockets;
using Gateway.Sockets.Epoll;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Proxy;

/// <summary>
/// YARP's backend clients with one connection pool per loop, against a raw HTTP/1.1 backend on loopback that counts
/// the connections it accepts.
/// </summary>
public sealed class BackendHttpClientFactoryTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private readonly LoopbackSockets _sockets = new();
    private readonly EpollEngine _epoll;
    private readonly CountingBackend _backend = new();
    private readonly SocketBudget _budget = new(new GatewayMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>()),
        TimeProvider.System, NullLogger<SocketBudget>.Instance);

    public BackendHttpClientFactoryTests() => _epoll = _sockets.Epoll;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_backend_connection_past_the_socket_budget_is_refused_and_a_closed_one_gives_its_descriptor_back(bool onLoop)
    {
        // Room for one client connection and its backend connection.
        _budget.Capacity = 2;
        Assert.True(_budget.TryOpenClient(max: 10));
        var client = onLoop ? Client(new HttpClientConfig()) : Client(new HttpClientConfig { MaxConnectionsPerServer = 100 });

        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client)));
        Assert.Equal(1, _budget.Backends);

        // The pooled connection stays open, so a second pool (the other loop's, or a second client) finds no room.
        using var other = Client(new HttpClientConfig());
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => OnLoopAsync(1, () => GetAsync(other)));
        Assert.Contains("no descriptor left", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);
        Assert.Equal(1, _backend.Accepted);
        Assert.Equal(1, _budget.Backends);

        client.Dispose();
        await Poll.UntilAsync(() => _budget.Backends == 0, "the closed connection to give its descriptor back", Guard);
        Assert.Equal("answer 1", await OnLoopAsync(1, () => GetAsync(other)));
        Assert.Equal(1, _budget.Backends);
    }

    [Fact]
    public async Task An_idle_backend_connection_serves_the_next_request()
    {
        using var client = Client(new HttpClientConfig());

        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client)));
        await Task.Delay(100); // the connection sits idle in its pool, with a zero-byte read parked on it
        Assert.Equal("answer 2", await OnLoopAsync(0, () => GetAsync(client)));
        Assert.Equal(1, _backend.Accepted);
    }

    [Fact]
    public async Task A_backend_that_closed_an_idle_connection_does_not_fail_the_next_request()
    {
        _backend.CloseAfterAnswer = true;
        using var client = Client(new HttpClientConfig());

        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client)));
        await Task.Delay(200);
        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client)));
        Assert.Equal(2, _backend.Accepted);
    }

    [Fact]
    public async Task A_request_made_on_a_loops_thread_goes_out_on_a_connection_of_that_loop()
    {
        using var client = Client(new HttpClientConfig());

        Assert.Equal("answer 1", await OnLoopAsync(1, () => GetAsync(client)));
        Assert.Equal("answer 2", await OnLoopAsync(1, async () =>
        {
            var answer = await GetAsync(client).ConfigureAwait(false);
            Assert.Equal(1, _epoll.CurrentAffinityGroup); // the backend's answer came back on the same loop
            return answer;
        }));
        Assert.Equal(1, _backend.Accepted);

        // Loop 0 has a pool of its own.
        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client)));
        Assert.Equal(2, _backend.Accepted);
    }

    [Fact]
    public async Task On_a_single_loop_the_backend_connections_are_that_loops_too()
    {
        var single = new EpollEngine(1);
        try
        {
            using var client = Client(new HttpClientConfig(), single);

            Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(client), single));
            Assert.Equal("answer 2", await OnLoopAsync(0, async () =>
            {
                var answer = await GetAsync(client).ConfigureAwait(false);
                Assert.NotNull(EpollLoop.Current); // the answer came back on the loop, not on .NET's socket threads
                return answer;
            }, single));
            Assert.Equal(1, _backend.Accepted);
        }
        finally
        {
            await Task.Run(single.Dispose); // the test may go on on the loop's thread, which cannot wait for itself
        }
    }

    [Fact]
    public async Task A_cluster_with_a_connection_limit_keeps_one_pool_so_the_limit_holds()
    {
        using var client = Client(new HttpClientConfig { MaxConnectionsPerServer = 1 });

        Assert.Equal("answer 1", await OnLoopAsync(1, () => GetAsync(client)));
        Assert.Equal("answer 2", await OnLoopAsync(0, () => GetAsync(client)));
        Assert.Equal(1, _backend.Accepted);
    }

    [Fact]
    public async Task A_client_a_reload_replaced_closes_its_idle_connections_once_its_last_requests_had_time_to_start()
    {
        var time = new FakeTimeProvider();
        var factory = new BackendHttpClientFactory(_epoll, time, NullLogger<ForwarderHttpClientFactory>.Instance, PooledConnectionGuards.None, _budget);
        var old = factory.CreateClient(new ForwarderHttpClientContext { ClusterId = "app", NewConfig = new HttpClientConfig() });
        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(old)));

        var unchanged = factory.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = "app",
            OldClient = old,
            OldConfig = new HttpClientConfig(),
            NewConfig = new HttpClientConfig(),
        });
        Assert.Same(old, unchanged);

        using var replacement = factory.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = "app",
            OldClient = old,
            OldConfig = new HttpClientConfig(),
            NewConfig = new HttpClientConfig { EnableMultipleHttp2Connections = false },
        });
        Assert.NotSame(old, replacement);
        Assert.Equal("answer 2", await OnLoopAsync(0, () => GetAsync(old))); // a request that took the old client just before the swap
        Assert.Equal(0, _backend.Closed);

        time.Advance(TimeSpan.FromMinutes(1));
        await Poll.UntilAsync(() => _backend.Closed == 1, "the replaced client's idle connection is closed", TimeSpan.FromSeconds(10));
        Assert.Equal("answer 1", await OnLoopAsync(0, () => GetAsync(replacement)));
    }

    private HttpMessageInvoker Client(HttpClientConfig config, EpollEngine? engine = null) =>
        new BackendHttpClientFactory(engine ?? _epoll, TimeProvider.System, NullLogger<ForwarderHttpClientFactory>.Instance, PooledConnectionGuards.None, _budget)
            .CreateClient(new ForwarderHttpClientContext { ClusterId = "app", NewConfig = config });

    private async Task<string> GetAsync(HttpMessageInvoker client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_backend.Port}/");
        using var response = await client.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="action"/> from loop <paramref name="loop"/>'s thread, where a waiter resumes: requests from
    /// elsewhere are spread over the loops' pools by thread.
    /// </summary>
    private async Task<string> OnLoopAsync(int loop, Func<Task<string>> action, EpollEngine? engine = null)
    {
        engine ??= _epoll;
        var (io, peer) = await _sockets.DialledAsync(engine, loop);
        using var peerSocket = peer;
        using var socket = io.Socket;
        using var watched = io;

        var onLoop = RunAfterAsync(io, loop, action, engine);
        peer.Send("go"u8);
        return await onLoop.WaitAsync(Guard);
    }

    private static async Task<string> RunAfterAsync(SocketIo io, int loop, Func<Task<string>> action, EpollEngine engine)
    {
        await io.WaitReadableAsync(SocketIo.Registered).ConfigureAwait(false);
        Assert.Equal(loop, engine.CurrentAffinityGroup);
        return await action().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _backend.DisposeAsync();
        _sockets.Dispose();
    }

    /// <summary>Answers each request on a connection with "answer N", N counting that connection's requests.</summary>
    private sealed class CountingBackend : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Task _accepting;
        private int _accepted;
        private int _closed;

        public CountingBackend()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        /// <summary>Connections the client closed.</summary>
        public int Closed => Volatile.Read(ref _closed);

        /// <summary>Close each connection after its first answer, without saying so, as a backend's idle timeout does.</summary>
        public bool CloseAfterAnswer { get; set; }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                _ = ServeAsync(connection);
            }
        }

        private async Task ServeAsync(Socket connection)
        {
            using var _ = connection;
            var buffer = new byte[4096];
            var pending = string.Empty;
            try
            {
                for (var answered = 1; ; answered++)
                {
                    while (!pending.Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await connection.ReceiveAsync(buffer, SocketFlags.None);
                        if (read == 0)
                        {
                            Interlocked.Increment(ref _closed);
                            return;
                        }

                        pending += Encoding.ASCII.GetString(buffer, 0, read);
                    }

                    pending = pending[(pending.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
                    var body = $"answer {answered}";
                    await connection.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"), SocketFlags.None);
                    if (CloseAfterAnswer)
                    {
                        connection.Shutdown(SocketShutdown.Both);
                        return;
                    }
                }
            }
            catch (SocketException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _accepting;
        }
    }
}
