using Gateway.Sockets;
using Gateway.Tunnel;
using Yarp.ReverseProxy.Forwarder;

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
/// </remarks>
internal sealed class BackendHttpClientFactory(SocketEngine engine, ILogger<ForwarderHttpClientFactory> logger) : IForwarderHttpClientFactory
{
    private readonly LoopClients _clients = new(engine, logger);

    public HttpMessageInvoker CreateClient(ForwarderHttpClientContext context)
    {
        if (context.OldClient is not null && context.NewConfig == context.OldConfig)
        {
            return context.OldClient;
        }

        var loops = engine.LoopCount;
        if (loops == 1 || context.NewConfig.MaxConnectionsPerServer is not null)
        {
            return _clients.Create(context, loop: null);
        }

        var perLoop = new HttpMessageInvoker[loops];
        for (var i = 0; i < loops; i++)
        {
            perLoop[i] = _clients.Create(context, i);
        }

        return new HttpMessageInvoker(new PerLoopHandler(perLoop, engine), disposeHandler: true);
    }

    /// <summary>YARP's clients, as it configures them, whose connections are dialled on one loop.</summary>
    private sealed class LoopClients(SocketEngine engine, ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
    {
        private readonly Lock _creating = new();
        private int? _loop;

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
            if (_loop is { } loop)
            {
                handler.ConnectCallback = async (connection, cancellation) =>
                    new SocketStream(await BackendDialer.ConnectAsync(connection.DnsEndPoint, engine, loop, cancellation));
            }
        }
    }

    private sealed class PerLoopHandler(HttpMessageInvoker[] perLoop, SocketEngine engine) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            perLoop[engine.CurrentLoop % perLoop.Length].SendAsync(request, cancellationToken);

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
