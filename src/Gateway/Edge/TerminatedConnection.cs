using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Edge;

/// <summary>
/// A connection the edge terminates, as Kestrel sees it. Its socket stays with the engine that routed it: the loop
/// reads into Kestrel's input and sends Kestrel's output, and Kestrel, YARP and the backend's answer run on the loop's
/// thread, so a request does not change threads on its way through.
/// </summary>
/// <remarks>
/// Closing follows Kestrel's socket transport: the end of the client's input (or a failed read) ends the
/// connection, and so do the end of Kestrel's output or an abort, which close the socket.
/// </remarks>
internal sealed partial class TerminatedConnection : ConnectionContext, IConnectionIdFeature, IConnectionItemsFeature,
    IConnectionTransportFeature, IConnectionEndPointFeature, IConnectionLifetimeFeature, IMemoryPoolFeature
{
    // As Kestrel's socket transport: each read gets at least half a pool block; the client may be 1 MiB ahead of
    // Kestrel, and Kestrel 64 KiB ahead of the client, before the other side waits.
    private const int MinimumReadSize = 2048;
    private const int CopiedReadSize = 4096;
    private const long InputLimit = 1024 * 1024;
    private const long OutputLimit = 64 * 1024;
    private const int GatherSize = 64 * 1024;
    private const int CorkSize = 4096;
    private const int FeatureCapacity = 16;

    // Unique across restarts too, as Kestrel's ids (which start from the clock).
    private static long _lastId = DateTime.UtcNow.Ticks;

    private readonly SocketIo _io;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly PipeWriter _fromClient;
    private readonly PipeReader _toClient;

    // Kestrel's own ends, which it completes through Transport (which a middleware may replace for the connection's life).
    private readonly PipeReader _kestrelInput;
    private readonly PipeWriter _kestrelOutput;
    private readonly CancellationTokenSource _closed = new();
    private readonly Lock _closeLock = new();
    private readonly Task _receiving;
    private readonly Task _sending;
    private bool _socketClosed;
    private Exception? _closeReason;

    /// <param name="received">Bytes read while routing (the ClientHello), from the shared array pool: Kestrel reads them first, and the array goes back.</param>
    /// <param name="logger">Where a failure other than the connection's ordinary end goes.</param>
    public TerminatedConnection(SocketIo io, MemoryPool<byte> pool, (byte[]? Array, int Length) received, EndPoint? remote, EndPoint? local,
        ILogger logger, GatewayMetrics metrics)
    {
        _io = io;
        _logger = logger;
        _metrics = metrics;
        MemoryPool = pool;
        ConnectionId = Interlocked.Increment(ref _lastId).ToString("X", System.Globalization.CultureInfo.InvariantCulture);
        RemoteEndPoint = remote;
        LocalEndPoint = local;
        ConnectionClosed = _closed.Token;

        var input = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, InputLimit, InputLimit / 2, useSynchronizationContext: false));
        var output = new Pipe(new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, OutputLimit, OutputLimit / 2, useSynchronizationContext: false));
        _kestrelInput = input.Reader;
        _kestrelOutput = output.Writer;
        Transport = new DuplexPipe(input.Reader, output.Writer);
        _fromClient = input.Writer;
        _toClient = output.Reader;

        // Room for Kestrel's and TLS's features as well as these six, so the table is not grown twice per connection.
        Features = new FeatureCollection(FeatureCapacity);
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
        Features.Set<IMemoryPoolFeature>(this);

        _receiving = ReceiveAsync(received);
        _sending = SendAsync();
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; }

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        CloseSocket(abortReason);
        _toClient.CancelPendingRead(); // ends the send loop if it waits for output
    }

    public override async ValueTask DisposeAsync()
    {
        _kestrelInput.Complete();
        _kestrelOutput.Complete();
        await _sending;
        await _receiving;
        _closed.Dispose();
        await base.DisposeAsync();
    }

    private async Task ReceiveAsync((byte[]? Array, int Length) received)
    {
        var input = _fromClient;
        Exception? error = null;
        var closedWhileWaiting = false;
        try
        {
            if (received.Array is { } replay)
            {
                input.Write(replay.AsSpan(0, received.Length));
                ArrayPool<byte>.Shared.Return(replay);
                var replayed = await input.FlushAsync();
                if (replayed.IsCompleted)
                {
                    return;
                }
            }

            // The first wait ends at once if the socket reported anything since it was registered (a ClientHello, read
            // while routing, was). The read after a wait may find nothing, so it goes to the stack: no pool block is held
            // for a client that sends nothing. Reads that keep coming back full go straight into the pipe, without waiting.
            var drained = true;
            var seen = SocketIo.Registered;
            var streak = 0;
            while (true)
            {
                if (drained)
                {
                    streak = 0;
                    var wait = _io.WaitReadableOrClosedAsync(seen);
                    var waited = !wait.IsCompleted;
                    if (!await wait)
                    {
                        // The socket was closed (an abort, or the end of the output): the reason for it is the one to
                        // report. A wait it ended resumed on the thread pool, on a stack of its own.
                        closedWhileWaiting = waited;
                        break;
                    }
                }
                else if (streak >= SocketIo.FairShare)
                {
                    streak = 0;
                    await _io.YieldAsync(); // an upload as fast as the loop lets the loop's other sockets in
                }

                seen = _io.ReadVersion;
                var read = drained
                    ? ReceiveCopied(input, out var asked, out var socketError)
                    : ReceiveInPlace(input, out asked, out socketError);
                if (socketError == SocketError.WouldBlock)
                {
                    drained = true;
                    continue;
                }

                if (socketError != SocketError.Success)
                {
                    error = Failure(socketError);
                    break;
                }

                if (read == 0)
                {
                    break; // the client finished sending
                }

                drained = read < asked;
                streak += read;
                var flushed = await input.FlushAsync();
                if (flushed.IsCompleted || flushed.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The socket was closed (an abort, or the end of the output): the reason for it is the one to report.
        }
        catch (SocketException e)
        {
            error = Failure(e.SocketErrorCode); // a wait on .NET's engine
        }
        catch (Exception e)
        {
            error = e;
        }
        finally
        {
            if (error is not null)
            {
                Report(error);
            }

            Exception? reason;
            lock (_closeLock)
            {
                reason = _closeReason ?? error;
            }

            input.Complete(reason);

            // Kestrel's callbacks on the closed token (aborting the request) run on the thread pool, not on the loop, nor
            // inside whatever call of Kestrel's resumed this read.
            if (closedWhileWaiting)
            {
                SignalClosed();
            }
            else
            {
                await Task.Factory.StartNew(static state => ((TerminatedConnection)state!).SignalClosed(), this, CancellationToken.None,
                    TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
            }
        }
    }

    private int ReceiveCopied(PipeWriter input, out int asked, out SocketError error)
    {
        Span<byte> scratch = stackalloc byte[CopiedReadSize];
        asked = scratch.Length;
        var read = _io.Receive(scratch, SocketFlags.None, out error);
        if (error == SocketError.Success && read > 0)
        {
            input.Write(scratch[..read]);
        }

        return read;
    }

    private int ReceiveInPlace(PipeWriter input, out int asked, out SocketError error)
    {
        var buffer = input.GetMemory(MinimumReadSize).Span;
        asked = buffer.Length;
        var read = _io.Receive(buffer, SocketFlags.None, out error);
        if (error == SocketError.Success && read > 0)
        {
            input.Advance(read);
        }

        return read;
    }

    private async Task SendAsync()
    {
        var output = _toClient;
        Exception? reason = null;
        Exception? unexpected = null;
        try
        {
            while (true)
            {
                var result = await output.ReadAsync();
                if (!result.IsCompleted && !result.IsCanceled && result.Buffer.Length >= CorkSize)
                {
                    // A response larger than a pool block comes as one TLS record per block (Kestrel encrypts its
                    // output block by block; RecordBlockPool), each flushed on its own. Sent as they come, that was a
                    // system call per record; after the loop's work in hand, the records it wrote meanwhile go in one send.
                    output.AdvanceTo(result.Buffer.Start);
                    await _io.YieldSendAsync();
                    result = await output.ReadAsync();
                }

                if (result.IsCanceled)
                {
                    break;
                }

                var buffer = result.Buffer;
                if (buffer.IsSingleSegment)
                {
                    await _io.SendAllAsync(buffer.First);
                }
                else
                {
                    await SendGatheredAsync(buffer);
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Aborted.
        }
        catch (SocketException e)
        {
            reason = Failure(e.SocketErrorCode);
            unexpected = reason is ConnectionResetException or ConnectionAbortedException ? null : reason;
        }
        catch (Exception e)
        {
            reason = unexpected = e;
        }
        finally
        {
            if (reason is not null)
            {
                Report(reason);
            }

            CloseSocket(reason);

            // As Kestrel's socket transport: a client that left is the end of the output, not an error in it, so Kestrel's
            // next write just finds the output closed; and a read paused on a full input goes on to see the close, and
            // signals it from the thread pool.
            output.Complete(unexpected);
            _fromClient.CancelPendingFlush();
        }
    }

    /// <summary>
    /// Sends a buffer of several pool blocks in copies of up to <see cref="GatherSize"/>, one send each. A full TLS record
    /// spans two blocks, and a send per block made some 550 system calls per MiB of a large response (with the 4 KiB
    /// blocks of then), whose kernel work cost more than the copy (docs/benchmarks.md#large-responses-fewer-sends).
    /// </summary>
    private async ValueTask SendGatheredAsync(ReadOnlySequence<byte> buffer)
    {
        var gathered = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length, GatherSize));
        try
        {
            while (!buffer.IsEmpty)
            {
                var part = buffer.Slice(0, Math.Min(buffer.Length, gathered.Length));
                part.CopyTo(gathered);
                await _io.SendAllAsync(gathered.AsMemory(0, (int)part.Length));
                buffer = buffer.Slice(part.End);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(gathered);
        }
    }

    /// <summary>
    /// What Kestrel expects for a failed read or send: a reset is the client's doing, an aborted call (on .NET's engine, a
    /// call the close cut short; on Unix, EINVAL from a socket closed under the call, as Kestrel's socket transport
    /// counts it) the connection's own end, anything else an I/O error.
    /// </summary>
    private static Exception Failure(SocketError error) => error switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown =>
            new ConnectionResetException($"The client reset the connection ({error}).", new SocketException((int)error)),
        SocketError.OperationAborted or SocketError.Interrupted =>
            new ConnectionAbortedException($"The connection was closed ({error}).", new SocketException((int)error)),
        SocketError.InvalidArgument when !OperatingSystem.IsWindows() =>
            new ConnectionAbortedException($"The connection was closed ({error}).", new SocketException((int)error)),
        _ => new IOException($"The connection failed ({error}).", new SocketException((int)error)),
    };

    /// <summary>
    /// As Kestrel's socket transport: a reset or an abort is how connections end, not worth a line; another socket error
    /// is the network's, at Debug; any other exception is a bug somewhere, logged and counted.
    /// </summary>
    private void Report(Exception error)
    {
        switch (error)
        {
            case ConnectionResetException or ConnectionAbortedException or OperationCanceledException:
                return;
            case IOException { InnerException: SocketException }:
                Log.CommunicationError(_logger, ConnectionId, error);
                return;
            default:
                Log.UnexpectedError(_logger, ConnectionId, error);
                _metrics.InternalError(InternalErrors.TerminatedConnection);
                return;
        }
    }

    private void CloseSocket(Exception? reason)
    {
        lock (_closeLock)
        {
            if (_socketClosed)
            {
                return;
            }

            _socketClosed = true;
            _closeReason = reason ?? new ConnectionAbortedException("The connection's output ended.");
        }

        try
        {
            _io.Socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Reset already.
        }
        catch (ObjectDisposedException)
        {
        }

        _io.Close(); // fails a read waiting on the loop
    }

    private void SignalClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed after both loops ended.
        }
        catch (AggregateException e)
        {
            // A callback's failure is its owner's (Kestrel's, a middleware's); the connection is closed either way.
            Log.CloseCallbackFailed(_logger, ConnectionId, e);
            _metrics.InternalError(InternalErrors.TerminatedConnection);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.TerminatedConnectionError, LogLevel.Warning, "Connection {ConnectionId} failed unexpectedly and was closed", EventName = "TerminatedConnectionError")]
        public static partial void UnexpectedError(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(LogEvents.TerminatedConnectionCloseCallbackFailed, LogLevel.Error, "A callback on the close of connection {ConnectionId} threw", EventName = "TerminatedConnectionCloseCallbackFailed")]
        public static partial void CloseCallbackFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(LogEvents.TerminatedConnectionCommunicationError, LogLevel.Debug, "Connection {ConnectionId} communication error", EventName = "TerminatedConnectionCommunicationError")]
        public static partial void CommunicationError(ILogger logger, string connectionId, Exception exception);
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
