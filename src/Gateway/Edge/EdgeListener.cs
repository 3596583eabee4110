using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Sni;
using Gateway.Sockets;
using Gateway.Tunnel;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Edge;

/// <summary>
/// One public listener's own accept loop. Each connection is routed here, on its raw socket: tunnels never become
/// Kestrel connections (no pipes, no connection middleware, nothing held while idle but the two sockets), and only the
/// connections to terminate are handed to Kestrel, the bytes read while routing replayed in front of their input.
/// </summary>
/// <remarks>
/// Stopping follows Kestrel's order: <see cref="UnbindAsync"/> stops accepting at once; Kestrel then drains its own
/// connections; <see cref="DisposeAsync"/> lets this listener's tunnels finish until the shutdown timeout (the token
/// Kestrel passed to the unbind), then closes the rest.
/// </remarks>
internal sealed partial class EdgeListener : IConnectionListener
{
    /// <summary>How long closed tunnels get to wind down at the very end of a stop.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    /// <summary>The first wait after a failed accept; it doubles while accepts keep failing, up to <see cref="MaxAcceptBackoff"/>.</summary>
    private static readonly TimeSpan MinAcceptBackoff = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan MaxAcceptBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// An episode of failed accepts ends once accepts have worked this long: under a flood an accept works now and then
    /// between failures, and that is one episode to report, not hundreds.
    /// </summary>
    private static readonly TimeSpan AcceptQuietPeriod = TimeSpan.FromSeconds(5);

    private readonly Socket? _listenSocket;
    private readonly EdgeEndPoint _endpoint;
    private readonly EdgeListenerFactory _owner;
    // Kestrel's accept loop, waiting on the reader, takes a connection on the thread that hands it over: it only queues
    // the connection to the thread pool, so a hop there first would be one more per connection.
    private readonly Channel<ConnectionContext> _terminated = Channel.CreateUnbounded<ConnectionContext>(new UnboundedChannelOptions
    {
        SingleReader = true,
        AllowSynchronousContinuations = true,
    });
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _unbound = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _acceptLoop;
    private readonly Func<ClientConnection, ClientHelloInfo?, Task> _handOff;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stoppingToken;
    private CancellationToken _shutdownTimeout = new(canceled: true);
    private int _active;

    /// <param name="listenSocket">Null when an optional address could not be bound: the listener accepts nothing.</param>
    public EdgeListener(Socket? listenSocket, EdgeEndPoint endpoint, EdgeListenerFactory owner)
    {
        _listenSocket = listenSocket;
        _endpoint = endpoint;
        _owner = owner;
        _time = owner.Time;
        _stoppingToken = _stopping.Token;
        _handOff = HandOffAsync;
        _acceptLoop = listenSocket is null ? Task.CompletedTask : AcceptLoopAsync(listenSocket);
    }

    public EndPoint EndPoint => _endpoint;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _terminated.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <param name="cancellationToken">Fires when the shutdown timeout has passed.</param>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _shutdownTimeout = cancellationToken;

        // Connections accepted before the stop still finish their PROXY header, ClientHello and dial (a tunnel is then
        // drained like the others) until the shutdown timeout; only Kestrel takes no new connection from here on.
        cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _stopping);
        _unbound.Cancel();
        _listenSocket?.Dispose();
        await _acceptLoop;
        _terminated.Writer.TryComplete();
        while (_terminated.Reader.TryRead(out var queued))
        {
            await queued.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _unbound.Cancel();
        _listenSocket?.Dispose();
        await _acceptLoop;
        _unbound.Dispose();
        _terminated.Writer.TryComplete();

        // The stop takes one count away, so only the last connection to end after it sees -1 and signals.
        if (Interlocked.Decrement(ref _active) >= 0)
        {
            try
            {
                await _drained.Task.WaitAsync(_shutdownTimeout);
            }
            catch (OperationCanceledException)
            {
                // The process is stopping: every tunnel goes, whichever listener it came through.
                _stopping.Cancel();
                var closed = _owner.Tunnels.CloseTunnels(static _ => true, TunnelEnd.Aborted);
                if (closed > 0)
                {
                    Log.TunnelsClosed(_owner.Logger, _endpoint, closed);
                }

                await _drained.Task.WaitAsync(CloseGrace).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        _stopping.Cancel();

        // _stopping is not disposed: a connection still winding down may register on its (cancelled) token.
    }

    private async Task AcceptLoopAsync(Socket listenSocket)
    {
        var failures = 0;
        var backoff = TimeSpan.Zero;
        long firstFailure = 0;
        long lastFailure = 0;
        while (true)
        {
            Socket socket;
            try
            {
                socket = await listenSocket.AcceptAsync(CancellationToken.None); // the ValueTask overload: no task per connection
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                continue; // a client that reset before it was accepted
            }
            catch (SocketException e)
            {
                // Out of descriptors (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM), most likely: accept fails at
                // once until something closes, so wait, longer each time, instead of spinning; the connections wait in
                // the backlog meanwhile. Said once per episode, and once more when it is over.
                _owner.Metrics.AcceptFailed(AcceptFailures.Of(e.SocketErrorCode));
                lastFailure = _time.GetTimestamp();
                if (failures++ == 0)
                {
                    firstFailure = lastFailure;
                    Log.AcceptFailing(_owner.Logger, _endpoint, e.Message, MaxAcceptBackoff.TotalSeconds);
                }

                backoff = failures == 1 ? MinAcceptBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxAcceptBackoff.Ticks));
                try
                {
                    await Task.Delay(backoff, _time, _unbound.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // Gateway:ClientHello:Timeout counts from here, for the PROXY header and the ClientHello together.
            var accepted = _time.GetTimestamp();
            if (failures > 0 && _time.GetElapsedTime(lastFailure) >= AcceptQuietPeriod)
            {
                Log.AcceptRecovered(_owner.Logger, _endpoint, failures, _time.GetElapsedTime(firstFailure, lastFailure).TotalSeconds);
                failures = 0;
            }

            // Connections open at once, counted from here: one still sending its PROXY header holds a descriptor too.
            // Over the limit it is closed right away, on this thread, so a flood costs one descriptor for a moment.
            if (!_owner.Limiter.TryOpen())
            {
                socket.Dispose();
                _owner.Metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
                continue;
            }

            Interlocked.Increment(ref _active);

            // Routed on the thread pool, as Kestrel dispatches its connections: run inline, every new connection's
            // routing (and dial) would queue behind the others on the one thread this loop completes on.
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Listener.HandleAsync(state.Socket, state.Accepted), (Listener: this, Socket: socket, Accepted: accepted), preferLocal: false);
        }
    }

    private async Task HandleAsync(Socket socket, long accepted)
    {
        ClientConnection? client = null;
        SocketIo? io = null;
        try
        {
            socket.NoDelay = true;
            io = _owner.Sockets.Register(socket);
            client = new ClientConnection(io, accepted, _stoppingToken);
            if (!await _owner.ProxyHeaders.AcceptAsync(client))
            {
                return;
            }

            // Gateway:Limits per client for every public listener, on the real client (after its PROXY header), before
            // any work: held here, in the one method that lasts as long as the connection.
            if (!_owner.Limiter.TryAcquire(client.RemoteEndPoint?.Address, out var slot))
            {
                _owner.Metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
                return;
            }

            try
            {
                var decision = await _owner.Router.DecideAsync(_endpoint, client);
                await _owner.Router.RunAsync(decision, client, _handOff);
            }
            finally
            {
                _owner.Limiter.Release(slot);
            }
        }
        catch (SocketException) when (client is null)
        {
            // Reset right after the accept.
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(_owner.Logger, client?.RemoteEndPoint, e);
            _owner.Metrics.InternalError(InternalErrors.EdgeConnection);
        }
        finally
        {
            if (client is null)
            {
                io?.Dispose();
                socket.Dispose();
            }
            else
            {
                client.Dispose();
            }

            _owner.Limiter.Close();
            if (Interlocked.Decrement(ref _active) < 0)
            {
                _drained.TrySetResult();
            }
        }
    }

    /// <summary>Gives a connection to Kestrel; returns when Kestrel is done with it.</summary>
    /// <param name="hello">For the HTTPS listener, what TLS termination is to answer.</param>
    private async Task HandOffAsync(ClientConnection client, ClientHelloInfo? hello)
    {
        var connection = _owner.CreateConnection(client);
        if (hello is not null)
        {
            connection.Items[ClientHelloInfo.ItemKey] = hello;
        }

        // The close is signalled on the thread pool, on a stack of its own (TerminatedConnection), so the rest of this
        // connection's end runs there rather than in one more pool item.
        var closed = new TaskCompletionSource();
        using var registration = connection.ConnectionClosed.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), closed);
        if (!_terminated.Writer.TryWrite(connection))
        {
            // Kestrel stopped taking connections while this one was being routed.
            Log.NotHandedOff(_owner.Logger, client.RemoteEndPoint);
            await connection.DisposeAsync();
            return;
        }

        await closed.Task;
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.AcceptFailed, LogLevel.Warning, "Listener {EndPoint} cannot accept connections: {Error}; retrying with a growing wait, up to {MaxBackoffSeconds} s, until it works again", EventName = "AcceptFailed")]
        public static partial void AcceptFailing(ILogger logger, EndPoint endPoint, string error, double maxBackoffSeconds);

        [LoggerMessage(LogEvents.AcceptRecovered, LogLevel.Information, "Listener {EndPoint} accepts connections again, after {Failures} failed accepts over {Seconds:0.0} s", EventName = "AcceptRecovered")]
        public static partial void AcceptRecovered(ILogger logger, EndPoint endPoint, int failures, double seconds);

        [LoggerMessage(LogEvents.ConnectionFailed, LogLevel.Error, "Connection from {RemoteEndPoint} failed", EventName = "ConnectionFailed")]
        public static partial void ConnectionFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

        [LoggerMessage(LogEvents.NotHandedOff, LogLevel.Debug, "Connection from {RemoteEndPoint} closed: the gateway is stopping", EventName = "NotHandedOff")]
        public static partial void NotHandedOff(ILogger logger, EndPoint? remoteEndPoint);

        [LoggerMessage(LogEvents.TunnelsClosedOnStop, LogLevel.Information, "Listener {EndPoint}: the shutdown timeout passed, {Count} tunnels closed", EventName = "TunnelsClosedOnStop")]
        public static partial void TunnelsClosed(ILogger logger, EndPoint endPoint, int count);
    }
}
