using System.Buffers;
using System.Net.Sockets;
using Gateway.Diagnostics;
using Gateway.Edge;
using Gateway.Metrics;
using Gateway.Sockets;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Edge;

/// <summary>What the edge caught without expecting it reaches the log and gateway_internal_errors_total.</summary>
public sealed class InternalErrorTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private readonly LoopbackSockets _sockets = new();

    [Fact]
    public async Task A_continuation_that_throws_into_the_gateways_loop_is_logged_and_counted()
    {
        // An engine of this test's own, so no other gateway of the process hears of the fault.
        var logs = new CapturedLogs();
        await using var gateway = await TestGateway.StartOnAsync(_sockets.Epoll, logs: logs);
        using var errors = new CounterProbe(gateway, "gateway.internal_errors");
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        LoopbackSockets.ThrowWhenDone(io.WaitReadableAsync(SocketIo.Registered), new InvalidOperationException("a continuation's bug"));
        peer.Send("x"u8);

        await Poll.UntilAsync(() => errors[("component", "socket-loop")] == 1, "the fault is counted", Guard);
        var entry = Assert.Single(logs.Entries, e => e.Event.Id == LogEvents.SocketContinuationFault);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("Gateway.Sockets.SocketEngine", entry.Category);
        Assert.Equal("SocketContinuationFault", entry.Event.Name);

        // A stopped gateway no longer reports the engine's faults (the engine outlives it).
        await gateway.StopAsync();
        await gateway.DisposeAsync();
        var seen = io.ReadVersion;
        LoopbackSockets.ThrowWhenDone(io.WaitReadableAsync(seen), new InvalidOperationException("another"));
        peer.Send("y"u8);
        await Poll.UntilAsync(() => io.ReadVersion != seen, "the loop saw the data", Guard);
        await Task.Delay(100);
        Assert.Single(logs.Entries, e => e.Event.Id == LogEvents.SocketContinuationFault);
    }

    [Fact]
    public async Task A_terminated_connection_that_fails_unexpectedly_is_logged_and_counted_and_a_reset_is_not()
    {
        await using var gateway = await TestGateway.StartOnAsync(_sockets.Epoll);
        using var errors = new CounterProbe(gateway, "gateway.internal_errors");
        var metrics = gateway.Services.GetRequiredService<GatewayMetrics>();
        var logs = new CapturedLogs();
        var logger = logs.CreateLogger("Gateway.Edge.TerminatedConnection");

        // Kestrel's output ends in an exception (a connection middleware's, say): the connection closes, and says why.
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using (peer)
        {
            var connection = new TerminatedConnection(io, MemoryPool<byte>.Shared, (null, 0), null, null, logger, metrics);
            await connection.Transport.Output.WriteAsync("partial"u8.ToArray());
            await connection.Transport.Output.CompleteAsync(new InvalidOperationException("a middleware's bug"));
            Assert.Equal("partial", await ReadToEndAsync(peer));
            await Poll.UntilAsync(() => errors[("component", "terminated-connection")] == 1, "the failure is counted", Guard);
            var entry = Assert.Single(logs.Entries);
            Assert.Equal((LogLevel.Warning, LogEvents.TerminatedConnectionError, "TerminatedConnectionError"), (entry.Level, entry.Event.Id, entry.Event.Name));
            Assert.Contains(connection.ConnectionId, entry.Message, StringComparison.Ordinal);
            await connection.DisposeAsync();
        }

        // A client's reset, and Kestrel's ordinary end of the output, are how connections end: no line, no count.
        var (resetIo, resetPeer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        var reset = new TerminatedConnection(resetIo, MemoryPool<byte>.Shared, (null, 0), null, null, logger, metrics);
        resetPeer.LingerState = new LingerOption(true, 0);
        resetPeer.Dispose();
        await Assert.ThrowsAsync<ConnectionResetException>(async () => await reset.Transport.Input.ReadAsync().AsTask().WaitAsync(Guard));
        await reset.Transport.Output.CompleteAsync();
        await reset.DisposeAsync();

        var (endIo, endPeer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using (endPeer)
        {
            var ended = new TerminatedConnection(endIo, MemoryPool<byte>.Shared, (null, 0), null, null, logger, metrics);
            await ended.Transport.Output.CompleteAsync();
            Assert.Equal("", await ReadToEndAsync(endPeer));
            await ended.DisposeAsync();
        }

        Assert.Equal(1, errors.Total);
        Assert.Single(logs.Entries);
    }

    [Fact]
    public async Task A_callback_on_a_terminated_connections_close_that_throws_is_logged_and_counted()
    {
        await using var gateway = await TestGateway.StartOnAsync(_sockets.Epoll);
        using var errors = new CounterProbe(gateway, "gateway.internal_errors");
        var logs = new CapturedLogs();
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        var connection = new TerminatedConnection(io, MemoryPool<byte>.Shared, (null, 0), null, null,
            logs.CreateLogger("Gateway.Edge.TerminatedConnection"), gateway.Services.GetRequiredService<GatewayMetrics>());
        var others = 0;
        connection.ConnectionClosed.Register(() => throw new InvalidOperationException("a callback's bug"));
        connection.ConnectionClosed.Register(() => Interlocked.Increment(ref others));

        peer.Dispose(); // the client leaves: the close is signalled
        await Poll.UntilAsync(() => errors[("component", "terminated-connection")] == 1, "the failure is counted", Guard);
        var entry = Assert.Single(logs.Entries);
        Assert.Equal((LogLevel.Error, LogEvents.TerminatedConnectionCloseCallbackFailed), (entry.Level, entry.Event.Id));
        Assert.Equal(1, Volatile.Read(ref others)); // the other callbacks still ran
        await connection.Transport.Output.CompleteAsync();
        await connection.DisposeAsync();
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync().WaitAsync(Guard);
    }

    public void Dispose() => _sockets.Dispose();
}
