using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tunnel;

/// <summary>
/// Copies bytes both ways between a client connection and its backend socket until both are done,
/// one fails, or the tunnel is closed from inside (idle, route removed, shutdown). The peeked ClientHello is
/// still unread in the client's input, so it is the first thing the backend receives.
/// </summary>
/// <remarks>
/// Thousands of these sit idle at once, so a tunnel holds as little as it can: no buffer while nothing
/// moves, no cancellation source or timer of its own (<see cref="TunnelHandler"/> sweeps for idle ones), and
/// backend bytes go straight to the client's socket instead of through Kestrel's output pipe.
/// </remarks>
internal sealed class TunnelSession : IDisposable
{
    private const int Running = -1;

    /// <summary>Bulk transfers move in blocks this large (HAProxy's bufsize), not the transport's 4 KiB pages.</summary>
    private const int ReceiveBufferSize = 16 * 1024;

    private readonly ConnectionContext _client;
    private readonly Socket _clientSocket;
    private readonly Socket _backend;
    private readonly TimeProvider _time;
    private readonly TrafficCounters _routeTraffic;
    private readonly TrafficCounters _destinationTraffic;
    private long _lastActivity;
    private int _closedBy = Running;
    private int _backendSideEnded;

    public TunnelSession(ConnectionContext client, Socket clientSocket, Socket backend, TimeSpan idleTimeout, TimeProvider time, TrafficCounters routeTraffic, TrafficCounters destinationTraffic)
    {
        _client = client;
        _clientSocket = clientSocket;
        _backend = backend;
        _time = time;
        _routeTraffic = routeTraffic;
        _destinationTraffic = destinationTraffic;
        IdleTimeout = idleTimeout;
        _lastActivity = time.GetTimestamp();
    }

    public TimeSpan IdleTimeout { get; }

    public long BytesFromClient { get; private set; }

    public long BytesFromBackend { get; private set; }

    public async Task<TunnelEnd> RunAsync()
    {
        var toClient = CopyBackendToClientAsync();
        var fromClient = await CopyClientToBackendAsync();
        if (fromClient != TunnelEnd.ClientClosed && Volatile.Read(ref _backendSideEnded) == 0)
        {
            // The client side failed first: nothing more goes either way.
            Close(fromClient);
        }

        // Half-close: after the client's FIN the backend may still be answering, until its own FIN.
        var toClientEnd = await toClient;
        var closedBy = Volatile.Read(ref _closedBy);
        var end = closedBy != Running ? (TunnelEnd)closedBy
            : fromClient == TunnelEnd.ClientClosed && toClientEnd == TunnelEnd.BackendClosed ? TunnelEnd.ClientClosed
            : toClientEnd;

        if (end is TunnelEnd.ClientClosed or TunnelEnd.BackendClosed)
        {
            // The backend's FIN ends the tunnel, towards the client too: a half-closed client that never finishes would
            // otherwise hold the tunnel for the whole IdleTimeout. Completing the output closes the socket.
            await _client.Transport.Output.CompleteAsync();
        }
        else
        {
            // Reset both sides: a half-broken tunnel must not linger waiting for a FIN that never comes.
            _client.Abort(new ConnectionAbortedException($"Tunnel ended: {end}"));
            _backend.LingerState = new LingerOption(true, 0);
        }

        return end;
    }

    private async Task<TunnelEnd> CopyClientToBackendAsync()
    {
        var input = _client.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync();
            }
            catch (Exception e) when (e is IOException or ConnectionAbortedException or ConnectionResetException)
            {
                return TunnelEnd.ClientError;
            }

            var buffer = read.Buffer;
            try
            {
                foreach (var segment in buffer)
                {
                    await PooledSend.SendAllAsync(_backend, segment);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return TunnelEnd.BackendError;
            }
            finally
            {
                input.AdvanceTo(buffer.End);
            }

            if (!buffer.IsEmpty)
            {
                BytesFromClient += buffer.Length;
                _routeTraffic.AddFromClient(buffer.Length);
                _destinationTraffic.AddFromClient(buffer.Length);
                Touch();
            }

            if (read.IsCanceled)
            {
                return TunnelEnd.Aborted;
            }

            if (read.IsCompleted)
            {
                try
                {
                    _backend.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return TunnelEnd.BackendError;
                }

                return TunnelEnd.ClientClosed;
            }
        }
    }

    private async Task<TunnelEnd> CopyBackendToClientAsync()
    {
        try
        {
            var busy = false;
            while (true)
            {
                byte[]? rented = null;
                int received;
                try
                {
                    // Wait for data before taking a buffer, so an idle tunnel holds no memory block. Skipped
                    // while the last read filled its buffer: more is almost surely waiting, and the wait costs a syscall.
                    if (!busy)
                    {
                        await _backend.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                    }

                    rented = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
                    Memory<byte> memory = rented;
                    received = await _backend.ReceiveAsync(memory, SocketFlags.None);
                    busy = received == memory.Length;
                    if (received == 0)
                    {
                        return TunnelEnd.BackendClosed;
                    }

                    if (!await SendToClientAsync(memory[..received]))
                    {
                        return TunnelEnd.ClientError;
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return TunnelEnd.BackendError;
                }
                finally
                {
                    if (rented is not null)
                    {
                        ArrayPool<byte>.Shared.Return(rented);
                    }
                }

                BytesFromBackend += received;
                _routeTraffic.AddFromBackend(received);
                _destinationTraffic.AddFromBackend(received);
                Touch();
            }
        }
        finally
        {
            // The backend side is over (its FIN, or an error): stop reading the client as well.
            Volatile.Write(ref _backendSideEnded, 1);
            _client.Transport.Input.CancelPendingRead();
        }
    }

    /// <returns>False when the client is gone.</returns>
    private async ValueTask<bool> SendToClientAsync(Memory<byte> data)
    {
        try
        {
            // Nothing else writes to this connection, so Kestrel's send loop stays idle until the output completes.
            await PooledSend.SendAllAsync(_clientSocket, data);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Ends the tunnel from inside the gateway; both sides are reset. The first reason wins.</summary>
    public void Close(TunnelEnd reason)
    {
        if (Interlocked.CompareExchange(ref _closedBy, (int)reason, Running) != Running)
        {
            return;
        }

        // Wakes both copy loops: the client's pending read fails, the backend's pending receive sees end of stream.
        _client.Abort(new ConnectionAbortedException($"Tunnel ended: {reason}"));
        try
        {
            _backend.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>Closes the tunnel when nothing moved either way for its idle timeout.</summary>
    public void CloseIfIdle()
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= IdleTimeout)
        {
            Close(TunnelEnd.IdleTimeout);
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public void Dispose() => _backend.Dispose();
}
