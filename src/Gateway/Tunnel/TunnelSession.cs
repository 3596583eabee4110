using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tunnel;

/// <summary>
/// Copies bytes both ways between a client connection and its backend socket until both are done,
/// one fails, or nothing moves for the idle timeout. The peeked ClientHello is still unread in the
/// client's input, so it is the first thing the backend receives.
/// </summary>
internal sealed class TunnelSession : IDisposable
{
    private const int NotClosed = -1;

    /// <summary>Bulk transfers move in blocks this large (HAProxy's bufsize), not the transport's 4 KiB pages.</summary>
    private const int ReceiveBufferSize = 16 * 1024;

    private readonly ConnectionContext _client;
    private readonly Socket _backend;
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleTimeout;
    private readonly CancellationTokenSource _stop = new();
    private readonly ITimer _idleTimer;
    private long _lastActivity;
    private int _closedBy = NotClosed;

    private readonly TrafficCounters _routeTraffic;
    private readonly TrafficCounters _destinationTraffic;

    public TunnelSession(ConnectionContext client, Socket backend, TimeSpan idleTimeout, TimeProvider time, TrafficCounters routeTraffic, TrafficCounters destinationTraffic)
    {
        _routeTraffic = routeTraffic;
        _destinationTraffic = destinationTraffic;
        _client = client;
        _backend = backend;
        _time = time;
        _idleTimeout = idleTimeout;
        _lastActivity = time.GetTimestamp();
        _idleTimer = time.CreateTimer(static state => ((TunnelSession)state!).OnIdleTimer(), this, idleTimeout, Timeout.InfiniteTimeSpan);
    }

    public long BytesFromClient { get; private set; }

    public long BytesFromBackend { get; private set; }

    public async Task<TunnelEnd> RunAsync()
    {
        var toBackend = CopyClientToBackendAsync();
        var toClient = CopyBackendToClientAsync();
        var first = await Task.WhenAny(toBackend, toClient);
        TunnelEnd end;
        if (first == toBackend && toBackend.Result == TunnelEnd.ClientClosed)
        {
            // Half-close: the backend already got our FIN and may still be answering.
            var second = await toClient;
            end = second == TunnelEnd.BackendClosed ? TunnelEnd.ClientClosed : second;
        }
        else if (first == toClient && toClient.Result == TunnelEnd.BackendClosed)
        {
            // Kestrel cannot half-close towards the client (completing the output closes the socket),
            // so the backend's FIN ends the tunnel once its last bytes are flushed.
            end = TunnelEnd.BackendClosed;
            await _stop.CancelAsync();
            await toBackend;
        }
        else
        {
            end = first.Result;
            await _stop.CancelAsync();
            await Task.WhenAll(toBackend, toClient);
        }

        if (Volatile.Read(ref _closedBy) is var reason and not NotClosed)
        {
            end = (TunnelEnd)reason;
        }

        if (end is TunnelEnd.ClientClosed or TunnelEnd.BackendClosed)
        {
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
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await input.ReadAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return TunnelEnd.Aborted;
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
                        for (var sent = 0; sent < segment.Length;)
                        {
                            sent += await _backend.SendAsync(segment[sent..], SocketFlags.None, _stop.Token);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    return TunnelEnd.Aborted;
                }
                catch (SocketException)
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

                if (read.IsCompleted)
                {
                    _backend.Shutdown(SocketShutdown.Send);
                    return TunnelEnd.ClientClosed;
                }

                if (read.IsCanceled)
                {
                    return TunnelEnd.Aborted;
                }
            }
        }
        catch (SocketException)
        {
            return TunnelEnd.BackendError;
        }
    }

    private async Task<TunnelEnd> CopyBackendToClientAsync()
    {
        var output = _client.Transport.Output;
        var busy = false;
        while (true)
        {
            int received;
            try
            {
                // Wait for data before taking a buffer, so an idle tunnel holds no memory block. Skipped
                // while the last read filled its buffer: more is almost surely waiting, and the wait costs a syscall.
                if (!busy)
                {
                    await _backend.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, _stop.Token);
                }

                var memory = output.GetMemory(ReceiveBufferSize);
                received = await _backend.ReceiveAsync(memory, SocketFlags.None, _stop.Token);
                busy = received == memory.Length;
            }
            catch (OperationCanceledException)
            {
                return TunnelEnd.Aborted;
            }
            catch (SocketException)
            {
                return TunnelEnd.BackendError;
            }

            if (received == 0)
            {
                return TunnelEnd.BackendClosed;
            }

            output.Advance(received);
            BytesFromBackend += received;
            _routeTraffic.AddFromBackend(received);
            _destinationTraffic.AddFromBackend(received);
            Touch();
            FlushResult flush;
            try
            {
                flush = await output.FlushAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return TunnelEnd.Aborted;
            }
            catch (Exception e) when (e is IOException or ConnectionAbortedException or ConnectionResetException)
            {
                return TunnelEnd.ClientError;
            }

            if (flush.IsCompleted)
            {
                return TunnelEnd.ClientError;
            }

            if (flush.IsCanceled)
            {
                return TunnelEnd.Aborted;
            }
        }
    }

    /// <summary>Ends the tunnel from inside the gateway; both sides are reset.</summary>
    public void Close(TunnelEnd reason)
    {
        Interlocked.CompareExchange(ref _closedBy, (int)reason, NotClosed); // the first reason wins
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already over.
        }
    }

    private void Touch() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    private void OnIdleTimer()
    {
        var idle = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        try
        {
            if (idle >= _idleTimeout)
            {
                Close(TunnelEnd.IdleTimeout);
            }
            else
            {
                _idleTimer.Change(_idleTimeout - idle, Timeout.InfiniteTimeSpan);
            }
        }
        catch (ObjectDisposedException)
        {
            // The tunnel ended while the timer fired.
        }
    }

    public void Dispose()
    {
        _idleTimer.Dispose();
        _stop.Dispose();
        _backend.Dispose();
    }
}
