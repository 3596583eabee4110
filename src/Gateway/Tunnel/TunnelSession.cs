using System.Buffers;
using System.Net.Sockets;
using Gateway.Core;
using Gateway.Passthrough;
using Gateway.Sockets;

namespace Gateway.Tunnel;

/// <summary>
/// Copies bytes both ways between a client socket and its backend socket until both are done, one fails, or the
/// tunnel is closed from inside (idle, route removed, shutdown). The bytes the router read (the ClientHello) are the
/// first thing the backend receives.
/// </summary>
/// <remarks>
/// Thousands of these sit idle at once, so a tunnel holds as little as it can: no buffer while nothing moves (each
/// side waits for its socket to be readable before it takes one), no cancellation source or timer of its own (<see cref="TunnelHandler"/>
/// sweeps for idle ones), and no pipe between socket and socket.
/// </remarks>
internal sealed class TunnelSession : IDisposable
{
    private const int Running = -1;

    /// <summary>Bulk transfers move in blocks this large (HAProxy's bufsize).</summary>
    private const int ReceiveBufferSize = 16 * 1024;

    /// <summary>Full reads in a row before a direction lets the other sockets on its thread be served.</summary>
    private const int FullReadsBeforeYield = SocketIo.FairShare / ReceiveBufferSize;

    private readonly ClientConnection _client;
    private readonly SocketIo _clientIo;
    private readonly SocketIo _backendIo;
    private readonly TimeProvider _time;
    private readonly TrafficCounters _routeTraffic;
    private readonly TrafficCounters _destinationTraffic;
    private long _lastActivity;
    private long _bytesFromClient;
    private long _bytesFromBackend;
    private long _countedFromClient;
    private long _countedFromBackend;
    private int _closedBy = Running;
    private int _backendSideEnded;
    private int _backendFinished;
    private int _firstFin = Running;

    public TunnelSession(ClientConnection client, SocketIo backend, TimeSpan idleTimeout, TimeProvider time, TrafficCounters routeTraffic, TrafficCounters destinationTraffic)
    {
        _client = client;
        _clientIo = client.Io;
        _backendIo = backend;
        _time = time;
        _routeTraffic = routeTraffic;
        _destinationTraffic = destinationTraffic;
        IdleTimeout = idleTimeout;
        _lastActivity = time.GetTimestamp();
    }

    public TimeSpan IdleTimeout { get; }

    public long BytesFromClient => Volatile.Read(ref _bytesFromClient);

    public long BytesFromBackend => Volatile.Read(ref _bytesFromBackend);

    /// <summary>
    /// The bytes moved since the last call, each direction's copy counting and the handler's sweep (and the close)
    /// taking: the metrics follow a long tunnel while it is open, at no cost per read.
    /// </summary>
    public (long FromClient, long FromBackend) TakeUncounted() =>
        (Take(ref _countedFromClient, BytesFromClient), Take(ref _countedFromBackend, BytesFromBackend));

    /// <summary>The sweep and the close may take at once: the counted mark only moves forward, each byte taken once.</summary>
    private static long Take(ref long counted, long now)
    {
        while (true)
        {
            var before = Volatile.Read(ref counted);
            if (now <= before)
            {
                return 0;
            }

            if (Interlocked.CompareExchange(ref counted, now, before) == before)
            {
                return now - before;
            }
        }
    }

    public async Task<TunnelEnd> RunAsync()
    {
        var toClient = CopyAsync(_backendIo, _clientIo, fromClient: false);
        var fromClient = await CopyAsync(_clientIo, _backendIo, fromClient: true);
        if (fromClient == TunnelEnd.ClientClosed)
        {
            // Half-close: after the client's FIN the backend may still be answering, until its own FIN.
            TryShutdown(_backendIo.Socket, SocketShutdown.Send);
        }
        else if (fromClient != TunnelEnd.Aborted)
        {
            // The client side failed first: nothing more goes either way.
            _ = Close(fromClient);
        }

        var toClientEnd = await toClient;
        var closedBy = Volatile.Read(ref _closedBy);
        var end = closedBy != Running ? (TunnelEnd)closedBy
            : fromClient == TunnelEnd.ClientClosed && toClientEnd == TunnelEnd.BackendClosed ? (TunnelEnd)Volatile.Read(ref _firstFin)
            : toClientEnd;

        // The client gets a FIN however it ends, after an idle, removed-route or failed end too, which is routine to
        // it. A half-broken backend side must not linger waiting for a FIN: it gets a reset.
        TryShutdown(_clientIo.Socket, SocketShutdown.Both);
        if (end is not (TunnelEnd.ClientClosed or TunnelEnd.BackendClosed))
        {
            Reset(_backendIo.Socket);
        }

        return end;
    }

    /// <summary>One direction. Both directions share this one method, so an idle tunnel holds two state machines.</summary>
    private async Task<TunnelEnd> CopyAsync(SocketIo from, SocketIo to, bool fromClient)
    {
        try
        {
            if (fromClient)
            {
                var hello = _client.Received;
                try
                {
                    await to.SendAllAsync(hello);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return TunnelEnd.BackendError;
                }
                finally
                {
                    _client.ReleaseReceived();
                }

                Count(hello.Length, fromClient);
            }

            // The first read tries at once: what the client sent after its hello, or the backend's greeting, may be
            // there already, reported before this loop started.
            var drained = false;
            var discarding = false;
            var fullReads = 0;
            var seen = from.ReadVersion;
            while (true)
            {
                byte[]? rented = null;
                int received;
                try
                {
                    try
                    {
                        // Wait for data before taking a buffer, so an idle tunnel holds no memory block. A short read
                        // drained the socket, so the wait comes first: the read would only say "would block".
                        if (drained)
                        {
                            await from.WaitReadableAsync(seen);
                        }

                        // Then one plain non-blocking read and write, the way an event loop does it.
                        seen = from.ReadVersion;
                        rented = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
                        received = from.Receive(rented.AsSpan(0, ReceiveBufferSize), SocketFlags.None, out var error);
                        if (error == SocketError.WouldBlock)
                        {
                            drained = true;
                            continue;
                        }

                        if (error != SocketError.Success)
                        {
                            return fromClient ? TunnelEnd.ClientError : TunnelEnd.BackendError;
                        }
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        return fromClient ? TunnelEnd.ClientError : TunnelEnd.BackendError;
                    }

                    if (received == 0)
                    {
                        if (!fromClient)
                        {
                            Finished(TunnelEnd.BackendClosed);
                            return TunnelEnd.BackendClosed;
                        }

                        // Woken by the backend side's failure rather than by the client: that side's reason stands.
                        if (Volatile.Read(ref _backendSideEnded) == 1)
                        {
                            return TunnelEnd.Aborted;
                        }

                        Finished(TunnelEnd.ClientClosed);
                        return TunnelEnd.ClientClosed;
                    }

                    drained = received < ReceiveBufferSize;
                    if (!discarding)
                    {
                        try
                        {
                            await to.SendAllAsync(rented.AsMemory(0, received));
                        }
                        catch (Exception e) when (e is SocketException or ObjectDisposedException)
                        {
                            if (!fromClient || Volatile.Read(ref _backendFinished) == 0)
                            {
                                return fromClient ? TunnelEnd.BackendError : TunnelEnd.ClientError;
                            }

                            // The backend finished, then stopped reading too. The client may still be reading what
                            // the backend sent: its bytes are read and dropped until its own FIN, because closing a
                            // socket with bytes unread sends a reset, and a reset throws away what it has not read.
                            // Dropped bytes are no activity: the idle timeout still bounds a client that never ends.
                            discarding = true;
                        }
                    }
                }
                finally
                {
                    if (rented is not null)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                }

                if (!discarding)
                {
                    Count(received, fromClient);
                }

                if (drained)
                {
                    fullReads = 0;
                }
                else if (++fullReads == FullReadsBeforeYield)
                {
                    fullReads = 0;
                    await from.YieldAsync();
                }
            }
        }
        finally
        {
            if (!fromClient)
            {
                if (Volatile.Read(ref _backendFinished) == 1)
                {
                    // The backend's FIN goes to the client after every byte before it. The client's side stays open:
                    // it may still be sending, and the backend still reading (a half-close, like the client's FIN).
                    TryShutdown(_clientIo.Socket, SocketShutdown.Send);
                }
                else
                {
                    // The backend side failed: stop reading the client as well.
                    Volatile.Write(ref _backendSideEnded, 1);
                    TryShutdown(_clientIo.Socket, SocketShutdown.Receive);
                }
            }
        }
    }

    /// <summary>A side's FIN: the first one names how the tunnel ended when both finish.</summary>
    private void Finished(TunnelEnd side)
    {
        Interlocked.CompareExchange(ref _firstFin, (int)side, Running);
        if (side == TunnelEnd.BackendClosed)
        {
            Volatile.Write(ref _backendFinished, 1);
        }
    }

    private void Count(int bytes, bool fromClient)
    {
        if (fromClient)
        {
            // One writer per direction: a plain sum, published for the sweep's read.
            Volatile.Write(ref _bytesFromClient, _bytesFromClient + bytes);
            _routeTraffic.AddFromClient(bytes);
            _destinationTraffic.AddFromClient(bytes);
        }
        else
        {
            Volatile.Write(ref _bytesFromBackend, _bytesFromBackend + bytes);
            _routeTraffic.AddFromBackend(bytes);
            _destinationTraffic.AddFromBackend(bytes);
        }

        Volatile.Write(ref _lastActivity, _time.GetTimestamp());
    }

    /// <summary>Ends the tunnel from inside the gateway. The first reason wins.</summary>
    /// <returns>False when it was closed already.</returns>
    public bool Close(TunnelEnd reason)
    {
        if (Interlocked.CompareExchange(ref _closedBy, (int)reason, Running) != Running)
        {
            return false;
        }

        // Wakes both copy loops: a pending receive on a shut down socket sees end of stream.
        TryShutdown(_clientIo.Socket, SocketShutdown.Both);
        TryShutdown(_backendIo.Socket, SocketShutdown.Both);
        return true;
    }

    /// <summary>Closes the tunnel when nothing moved either way for its idle timeout.</summary>
    public void CloseIfIdle()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= IdleTimeout)
        {
            _ = Close(TunnelEnd.IdleTimeout);
        }
    }

    private static void TryShutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Closing with a zero linger time sends RST instead of FIN.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    public void Dispose() => _backendIo.Close();
}
