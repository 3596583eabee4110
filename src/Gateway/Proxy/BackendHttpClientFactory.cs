using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Sockets;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// YARP's HTTP clients for the web backends, with one connection pool per socket loop. A request read on a loop's
/// thread goes out on a backend connection of the same loop, so the answer comes back on that thread: with one shared
/// pool, it would come back on whichever thread watches the connection the pool picked, and every request would wake
/// two threads.
/// </summary>
/// <remarks>
/// A cluster that sets <c>HttpClient:MaxConnectionsPerServer</c> keeps YARP's single pool, so the limit stays exact.
/// Off the epoll engine there is one loop, and YARP's own client.
/// <para>
/// YARP drops a client that a reload replaced or whose cluster went, and leaves the rest to the garbage collector. A
/// connection on a loop stays reachable from the loop, so its idle backend connections would stay open: a replaced
/// client is disposed here once the requests that took it just before the swap have had time to start. Disposing
/// closes its idle connections at once, and the busy ones as their requests end.
/// </para>
/// </remarks>
internal sealed class BackendHttpClientFactory(SocketEngine engine, TimeProvider time, ILogger<ForwarderHttpClientFactory> logger, PooledConnectionGuards guards, SocketBudget sockets)
    : IForwarderHttpClientFactory, IClusterChangeListener
{
    private static readonly TimeSpan RetireDelay = TimeSpan.FromSeconds(30);

    private readonly LoopClients _clients = new(engine, guards, sockets, logger);
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> _current = new(StringComparer.Ordinal);

    public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context)
    {
        if (context.OldClient is not null && context.NewConfig == context.OldConfig)
        {
            return context.OldClient;
        }

        var client = Create(context);
        if (context.OldClient is { } replaced)
        {
            Retire(replaced);
        }

        _current[context.ClusterId] = client;
        return client;
    }

    public void OnClusterRemoved(ClusterState cluster)
    {
        if (_current.TryRemove(cluster.ClusterId, out var client))
        {
            Retire(client);
        }
    }

    public void OnClusterAdded(ClusterState cluster)
    {
    }

    public void OnClusterChanged(ClusterState cluster)
    {
    }

    private HttpMessageInvoker Create(ForwarderHttpClientContext context)
    {
        // .NET's engine dials as SocketsHttpHandler would; a cluster's connection limit needs its one shared pool.
        if (engine is DotNetSocketEngine || context.NewConfig.MaxConnectionsPerServer is not null)
        {
            return _clients.Create(context, loop: null);
        }

        // One loop (a one-core machine): its connections on that loop too, not on .NET's socket threads, which would
        // hand every answer from their thread to the loop's.
        var loops = engine.AffinityGroups;
        if (loops == 1)
        {
            return _clients.Create(context, loop: 0);
        }

        var perLoop = new HttpMessageInvoker[loops];
        for (var i = 0; i < loops; i++)
        {
            perLoop[i] = _clients.Create(context, i);
        }

        return new HttpMessageInvoker(new PerLoopHandler(perLoop, engine), disposeHandler: true);
    }

    private void Retire(HttpMessageInvoker client) =>
        _ = Task.Delay(RetireDelay, time).ContinueWith(static (_, state) => ((HttpMessageInvoker)state!).Dispose(), client,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// YARP's clients, as it configures them, whose connections are dialled on one loop, each answer judged and each
    /// connection closable by <see cref="PooledConnectionGuards"/>.
    /// </summary>
    /// <remarks>
    /// Every connection takes its descriptor from the <see cref="SocketBudget"/> before it is dialled, and gives it back
    /// once closed: an HTTP/2 client's streams each need a backend connection, and past the budget a request gets a 502
    /// rather than the process running out of descriptors.
    /// </remarks>
    private sealed class LoopClients(SocketEngine engine, PooledConnectionGuards guards, SocketBudget sockets, ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
    {
        private readonly Lock _creating = new();
        private int? _loop;

        /// <summary>The connections of the client being created: its connect callback adds them, its guard may close them all.</summary>
        private PooledConnectionSet _pool = new();

        public HttpMessageInvoker Create(ForwarderHttpClientContext context, int? loop)
        {
            lock (_creating)
            {
                _loop = loop;
                return CreateClient(new ForwarderHttpClientContext { ClusterId = context.ClusterId, NewConfig = context.NewConfig, NewMetadata = context.NewMetadata });
            }
        }

        protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
        {
            base.ConfigureHandler(context, handler);
            var pool = _pool = new PooledConnectionSet();

            // TLS connections, from their dial to the end of their handshake, by the request that asked for them: the
            // client calls the plaintext filter once TLS is up, before the connection carries any request. Should one
            // request have asked for two at once, both are done at the first: a handshake write then taken for a request
            // costs a wait, while a connection left handshaking would go unguarded.
            var handshaking = new ConditionalWeakTable<HttpRequestMessage, List<PooledConnectionStream>>();
            handler.PlaintextStreamFilter = (filter, _) =>
            {
                if (handshaking.TryGetValue(filter.InitialRequestMessage, out var connections))
                {
                    handshaking.Remove(filter.InitialRequestMessage);
                    lock (connections)
                    {
                        connections.ForEach(c => c.HandshakeDone());
                    }
                }

                return ValueTask.FromResult(filter.PlaintextStream);
            };

            Stream Wrap(SocketsHttpConnectionContext dial, Stream stream, Socket socket)
            {
                var secure = dial.InitialRequestMessage.RequestUri?.Scheme == Uri.UriSchemeHttps;
                var wrapped = guards.Wrap(stream, socket, pool, sockets.CloseBackend, handshaking: secure);
                if (secure && wrapped is PooledConnectionStream connection)
                {
                    var connections = handshaking.GetOrCreateValue(dial.InitialRequestMessage);
                    lock (connections)
                    {
                        connections.Add(connection);
                    }
                }

                return wrapped;
            }

            if (_loop is { } loop)
            {
                handler.ConnectCallback = async (connection, cancellation) =>
                {
                    TakeDescriptor(connection.DnsEndPoint);
                    try
                    {
                        var io = await BackendDialer.ConnectAsync(connection.DnsEndPoint, engine, loop, cancellation);
                        return Wrap(connection, new SocketStream(io), io.Socket);
                    }
                    catch
                    {
                        sockets.CloseBackend();
                        throw;
                    }
                };
            }
            else
            {
                handler.ConnectCallback = async (connection, cancellation) =>
                {
                    // What SocketsHttpHandler does without a callback.
                    TakeDescriptor(connection.DnsEndPoint);
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    try
                    {
                        await socket.ConnectAsync(connection.DnsEndPoint, cancellation);
                        return Wrap(connection, new NetworkStream(socket, ownsSocket: true), socket);
                    }
                    catch
                    {
                        socket.Dispose();
                        sockets.CloseBackend();
                        throw;
                    }
                };
            }
        }

        private void TakeDescriptor(System.Net.DnsEndPoint backend)
        {
            if (!sockets.TryOpenBackend(ClusterLayers.Proxy))
            {
                // A connection error, as the dial's own would be: YARP answers 502 and counts it.
                throw new HttpRequestException(HttpRequestError.ConnectionError,
                    $"no descriptor left for a connection to {backend.Host}:{backend.Port}: the open connections hold every descriptor the open-files limit leaves them");
            }
        }

        // Called after ConfigureHandler for the same client, under the same lock: _pool is that client's.
        protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
            guards.Wrap(base.WrapHandler(context, handler), context.ClusterId, _pool);
    }

    private sealed class PerLoopHandler(HttpMessageInvoker[] perLoop, SocketEngine engine) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            perLoop[engine.CurrentAffinityGroup % perLoop.Length].SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                foreach (var client in perLoop)
                {
                    client.Dispose();
                }
            }

            base.Dispose(disposing);
        }
    }
}
