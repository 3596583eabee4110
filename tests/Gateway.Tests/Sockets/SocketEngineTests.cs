using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gateway.Core;
using Gateway.Sockets;
using Gateway.Sockets.Epoll;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Sockets;

/// <summary>
/// What the edge's code relies on from a socket engine, held by both: the gateway's epoll loop and .NET's sockets (the
/// fallback off Linux, or with GATEWAY_SOCKET_ENGINE=dotnet). Real sockets on loopback.
/// </summary>
public sealed class SocketEngineTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    /// <summary>Whether the code reading it runs inside a socket's close, on the closing thread.</summary>
    private static readonly ThreadLocal<bool> InsideDispose = new();

    private readonly LoopbackSockets _sockets = new();

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_wait_ends_when_data_arrives_and_a_short_read_can_wait_without_reading_again(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        var wait = io.WaitReadableAsync(SocketIo.Registered).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        peer.Send("one"u8);
        await wait.WaitAsync(Guard);

        var buffer = new byte[64];
        var seen = io.ReadVersion;
        Assert.Equal(3, io.Receive(buffer.AsSpan(0, buffer.Length), SocketFlags.None, out var error));
        Assert.Equal(SocketError.Success, error);

        // The read was short, so the socket is drained: the next wait needs no read first (the version taken before the
        // short read), does not end before there is more, and ends with the next data.
        var next = io.WaitReadableAsync(seen).AsTask();
        await Task.Delay(50);
        Assert.False(next.IsCompleted);
        peer.Send("two!"u8);
        await next.WaitAsync(Guard);
        Assert.Equal(4, io.Receive(buffer.AsSpan(0, buffer.Length), SocketFlags.None, out error));
    }

    [Fact]
    public async Task Data_that_arrives_between_the_read_and_the_wait_ends_the_wait_at_once()
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        var seen = io.ReadVersion;
        Assert.Equal(0, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out var error));
        Assert.Equal(SocketError.WouldBlock, error);
        peer.Send("late"u8);
        await Poll.UntilAsync(() => io.ReadVersion != seen, "the loop has seen it before anybody waits");

        await io.WaitReadableAsync(seen).AsTask().WaitAsync(Guard);
        Assert.Equal(4, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out _));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_wait_ends_at_the_peers_fin(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var watched = io;
        using var socket = io.Socket;

        var seen = io.ReadVersion;
        Assert.Equal(0, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out var error));
        Assert.Equal(SocketError.WouldBlock, error);
        var wait = io.WaitReadableAsync(seen).AsTask();
        peer.Shutdown(SocketShutdown.Send);
        await wait.WaitAsync(Guard);
        Assert.Equal(0, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out error));
        Assert.Equal(SocketError.Success, error);
        peer.Dispose();
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_fin_that_came_with_the_last_data_still_ends_the_wait_after_a_short_read(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var watched = io;
        using var socket = io.Socket;

        peer.Send("last words"u8);
        peer.Shutdown(SocketShutdown.Send);
        await Task.Delay(100); // both are in, and reported, before the read

        var seen = io.ReadVersion;
        Assert.Equal(10, io.Receive(new byte[64].AsSpan(0, 64), SocketFlags.None, out _));
        await io.WaitReadableAsync(seen).AsTask().WaitAsync(Guard);
        Assert.Equal(0, io.Receive(new byte[64].AsSpan(0, 64), SocketFlags.None, out var error));
        Assert.Equal(SocketError.Success, error);
        peer.Dispose();
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task Urgent_data_that_stops_a_read_short_does_not_hide_the_bytes_after_it(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        peer.Send("abc"u8);
        peer.Send("X"u8, SocketFlags.OutOfBand);
        peer.Send("def"u8);
        await Task.Delay(100); // all three are in, and reported, before the read

        var buffer = new byte[64];
        var seen = io.ReadVersion;
        Assert.Equal(3, io.Receive(buffer.AsSpan(0, buffer.Length), SocketFlags.None, out _)); // stops at the urgent mark
        await io.WaitReadableAsync(seen).AsTask().WaitAsync(Guard);
        var rest = io.Receive(buffer.AsSpan(0, buffer.Length), SocketFlags.None, out var error);
        Assert.Equal(SocketError.Success, error);
        Assert.Equal("def", System.Text.Encoding.ASCII.GetString(buffer, 0, rest));
    }

    [Fact]
    public async Task A_socket_no_longer_watched_fails_a_wait_instead_of_leaving_it_hanging()
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using var peerSocket = peer;
        using var socket = io.Socket;

        var pending = io.WaitReadableAsync(SocketIo.Registered).AsTask();
        io.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(Guard));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => io.WaitReadableAsync(SocketIo.Registered).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task A_wait_that_takes_the_close_as_its_end_returns_false_from_the_thread_pool_without_throwing()
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using var peerSocket = peer;
        using var socket = io.Socket;

        // Data still ends the wait with true.
        var ready = io.WaitReadableOrClosedAsync(SocketIo.Registered).AsTask();
        peer.Send("a"u8);
        Assert.True(await ready.WaitAsync(Guard));
        Assert.Equal(1, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out _));

        var pending = WaitAndSayWhereAsync(io, io.ReadVersion);
        Assert.False(pending.IsCompleted);
        InsideDispose.Value = true;
        io.Dispose();
        InsideDispose.Value = false;
        var (open, inline) = await pending.WaitAsync(Guard);
        Assert.False(open);
        Assert.False(inline, "a pending wait resumes on the thread pool, not inside the close, on the thread that closed the socket");

        // Once closed, at once.
        var later = io.WaitReadableOrClosedAsync(SocketIo.Registered);
        Assert.True(later.IsCompleted);
        Assert.False(await later);

        // The waits that throw still throw.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => io.WaitReadableAsync(SocketIo.Registered).AsTask().WaitAsync(Guard));
    }

    private static async Task<(bool Open, bool InsideDispose)> WaitAndSayWhereAsync(SocketIo io, int seen)
    {
        // Where the waiter resumes, not where xUnit's synchronization context would post the rest (its own threads,
        // which are not the pool's: the thread-pool check this test made before failed when they ran it).
        var open = await io.WaitReadableOrClosedAsync(seen).ConfigureAwait(false);
        return (open, InsideDispose.Value);
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_yield_resumes_the_reader_from_its_loop_or_from_any_thread(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        await io.YieldAsync().AsTask().WaitAsync(Guard); // from a test thread: the loop is woken for it

        // From the loop's own thread (a wait's continuation), with data pending that no new event will report again.
        var wait = io.WaitReadableAsync(SocketIo.Registered).AsTask();
        peer.Send("more"u8);
        await wait.WaitAsync(Guard);
        await io.YieldAsync().AsTask().WaitAsync(Guard);
        Assert.Equal(4, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out _));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_works(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        using var cancel = new CancellationTokenSource();
        var wait = io.WaitReadableAsync(SocketIo.Registered, cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Guard));

        var again = io.WaitReadableAsync(SocketIo.Registered).AsTask();
        peer.Send("x"u8);
        await again.WaitAsync(Guard);
        Assert.Equal(1, io.Receive(new byte[8].AsSpan(0, 8), SocketFlags.None, out _));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_send_larger_than_the_buffers_waits_for_room_and_delivers_every_byte(string engine)
    {
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Engine(engine));
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;
        socket.SendBufferSize = 16 * 1024;
        peer.ReceiveBufferSize = 16 * 1024;

        var data = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        var send = io.SendAllAsync(data).AsTask();
        await Task.Delay(100);
        Assert.False(send.IsCompleted); // nobody reads yet: the buffers are full

        var received = new byte[data.Length];
        var total = 0;
        using var guard = new CancellationTokenSource(Guard);
        while (total < received.Length)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None, guard.Token);
        }

        await send.WaitAsync(Guard);
        Assert.Equal(data, received);
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_connect_succeeds_or_says_why(string engine)
    {
        var sockets = _sockets.Engine(engine);
        using (var connected = await sockets.ConnectAsync(LoopbackSockets.NewSocket(), _sockets.Listener.LocalEndPoint!, null, CancellationToken.None))
        using (var accepted = await _sockets.Listener.AcceptAsync())
        {
            await connected.SendAllAsync("hello"u8.ToArray());
            var buffer = new byte[8];
            Assert.Equal(5, await accepted.ReceiveAsync(buffer, SocketFlags.None));
            connected.Socket.Dispose();
        }

        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never listening: connects to it are refused
        using var refused = LoopbackSockets.NewSocket();
        var error = await Assert.ThrowsAsync<SocketException>(() => sockets.ConnectAsync(refused, closed.LocalEndPoint!, null, CancellationToken.None).AsTask());
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_hanging_connect_ends_when_cancelled(string engine)
    {
        using var full = new HangingListener();
        using var socket = LoopbackSockets.NewSocket();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _sockets.Engine(engine).ConnectAsync(socket, full.EndPoint, null, cancel.Token).AsTask().WaitAsync(Guard));
    }

    [Fact]
    public async Task A_loop_asked_to_stop_from_its_own_thread_says_so_instead_of_waiting_for_itself()
    {
        var engine = new EpollEngine(1);
        try
        {
            var (io, peer) = await _sockets.AcceptedAsync(engine);
            using var peerSocket = peer;
            using var socket = io.Socket;
            using var watched = io;

            var onLoop = StopFromTheLoopAsync(io, engine);
            peer.Send("."u8);
            var refused = await onLoop.WaitAsync(Guard);

            Assert.IsType<InvalidOperationException>(refused);
            Assert.Contains("its own thread", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Task.Run(engine.Dispose);
        }

        static async Task<Exception?> StopFromTheLoopAsync(SocketIo io, EpollEngine engine)
        {
            await io.WaitReadableAsync(SocketIo.Registered).ConfigureAwait(false);
            Assert.NotNull(EpollLoop.Current);
            return Record.Exception(engine.Dispose);
        }
    }

    [Fact]
    public async Task Slots_freed_by_closed_sockets_serve_new_ones()
    {
        for (var round = 0; round < 3; round++)
        {
            var pairs = new List<(SocketIo Io, Socket Peer)>();
            for (var i = 0; i < 200; i++) // more than a loop's first slot table holds
            {
                pairs.Add(await _sockets.AcceptedAsync(_sockets.Epoll));
            }

            var waits = pairs.Select(p => p.Io.WaitReadableAsync(SocketIo.Registered).AsTask()).ToList();
            foreach (var (_, peer) in pairs)
            {
                peer.Send("."u8);
            }

            await Task.WhenAll(waits).WaitAsync(Guard);
            foreach (var (io, peer) in pairs)
            {
                io.Dispose();
                io.Socket.Dispose();
                peer.Dispose();
            }
        }
    }

    [Fact]
    public void The_engine_is_chosen_by_name_one_per_kind_and_a_wrong_name_says_what_is_allowed()
    {
        Assert.IsType<DotNetSocketEngine>(SocketEngines.Shared("dotnet"));
        Assert.IsType<EpollEngine>(SocketEngines.Shared("epoll"));
        Assert.Same(SocketEngines.Shared("epoll"), SocketEngines.Shared(null)); // the best one here, and no second set of loops
        Assert.Same(SocketEngines.Shared("epoll"), SocketEngines.Shared(""));
        Assert.Same(SocketEngines.Shared("dotnet"), SocketEngines.Shared("dotnet"));

        foreach (var wrong in (string[])["iouring", "EPOLL", " dotnet"])
        {
            var error = Assert.Throws<SocketEngineChoiceException>(() => SocketEngines.Shared(wrong));
            Assert.Contains($"GATEWAY_SOCKET_ENGINE is '{wrong}'", error.Message, StringComparison.Ordinal);
            Assert.Contains("'epoll' or 'dotnet'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_continuation_that_throws_into_a_loop_is_reported_and_the_loop_serves_on()
    {
        var faults = new ConcurrentQueue<Exception>();
        var subscription = _sockets.Epoll.OnFault(faults.Enqueue);
        var (io, peer) = await _sockets.AcceptedAsync(_sockets.Epoll);
        using var peerSocket = peer;
        using var watched = io;
        using var socket = io.Socket;

        // A continuation that throws out of its await, as no await in the gateway's code should: it runs inline on the loop.
        var bug = new InvalidOperationException("a continuation's bug");
        LoopbackSockets.ThrowWhenDone(io.WaitReadableAsync(SocketIo.Registered), bug);
        peer.Send("x"u8);
        await Poll.UntilAsync(() => !faults.IsEmpty, "the fault is reported", Guard);
        Assert.Same(bug, Assert.Single(faults));

        // The loop goes on: a socket on the same loop is still served.
        var (neighbour, neighbourPeer) = await AcceptedNearAsync(io);
        using var neighbourPeerSocket = neighbourPeer;
        using var neighbourWatched = neighbour;
        using var neighbourSocket = neighbour.Socket;
        Assert.Same(((EpollSocket)io).Loop, ((EpollSocket)neighbour).Loop);
        var wait = neighbour.WaitReadableAsync(SocketIo.Registered).AsTask();
        neighbourPeer.Send("y"u8);
        await wait.WaitAsync(Guard);

        // Once the reporter is gone, a fault reaches no one (and still does not stop the loop).
        subscription.Dispose();
        var seen = io.ReadVersion;
        LoopbackSockets.ThrowWhenDone(io.WaitReadableAsync(seen), bug);
        peer.Send("z"u8);
        await Poll.UntilAsync(() => io.ReadVersion != seen, "the loop saw the data", Guard);
        var after = neighbour.WaitReadableAsync(neighbour.ReadVersion).AsTask();
        neighbourPeer.Send("w"u8); // served after the throwing continuation, on the same thread
        await after.WaitAsync(Guard);
        Assert.Single(faults);
    }

    private async Task<(SocketIo Io, Socket Peer)> AcceptedNearAsync(SocketIo near)
    {
        var peer = LoopbackSockets.NewSocket();
        await peer.ConnectAsync(_sockets.Listener.LocalEndPoint!);
        var accepted = await _sockets.Listener.AcceptAsync();
        return (_sockets.Epoll.Register(accepted, near), peer);
    }

    public void Dispose() => _sockets.Dispose();
}
