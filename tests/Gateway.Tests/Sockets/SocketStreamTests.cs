using System.Net.Sockets;
using Gateway.Sockets;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Sockets;

/// <summary>The stream HttpClient's backend connections use, on both engines, with real sockets on loopback.</summary>
public sealed class SocketStreamTests : IDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    private readonly LoopbackSockets _sockets = new();

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_zero_byte_read_waits_for_data_and_takes_none_of_it(string engine)
    {
        var (stream, peer) = await ConnectedAsync(engine);
        using var peerSocket = peer;
        await using var _ = stream;

        // As HttpClient parks one on an idle pooled connection: it must not end while the backend says nothing.
        var idle = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(100);
        Assert.False(idle.IsCompleted);

        peer.Send("answer"u8);
        Assert.Equal(0, await idle.WaitAsync(Guard));
        var buffer = new byte[64];
        Assert.Equal("answer", await ReadTextAsync(stream, buffer));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_read_after_a_short_one_waits_for_more_and_a_zero_byte_read_then_too(string engine)
    {
        var (stream, peer) = await ConnectedAsync(engine);
        using var peerSocket = peer;
        await using var _ = stream;
        var buffer = new byte[64];

        peer.Send("first"u8);
        Assert.Equal("first", await ReadTextAsync(stream, buffer));

        var next = stream.ReadAsync(buffer).AsTask();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);
        peer.Send("second"u8);
        Assert.Equal(6, await next.WaitAsync(Guard));

        var idle = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        await Task.Delay(100);
        Assert.False(idle.IsCompleted);
        peer.Send("third"u8);
        Assert.Equal(0, await idle.WaitAsync(Guard));
        Assert.Equal("third", await ReadTextAsync(stream, buffer));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task The_peers_close_ends_a_waiting_zero_byte_read_and_then_reads_return_0(string engine)
    {
        var (stream, peer) = await ConnectedAsync(engine);
        await using var _ = stream;
        var buffer = new byte[64];
        peer.Send("last"u8);
        Assert.Equal("last", await ReadTextAsync(stream, buffer));

        var idle = stream.ReadAsync(Memory<byte>.Empty).AsTask();
        peer.Shutdown(SocketShutdown.Send);
        peer.Dispose();
        Assert.Equal(0, await idle.WaitAsync(Guard));
        Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Guard));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task Disposing_fails_a_waiting_read_with_an_io_error(string engine)
    {
        var (stream, peer) = await ConnectedAsync(engine);
        using var peerSocket = peer;

        var pending = stream.ReadAsync(new byte[16]).AsTask();
        await Task.Delay(50);
        await stream.DisposeAsync();
        await Assert.ThrowsAnyAsync<IOException>(() => pending.WaitAsync(Guard));
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task A_write_larger_than_the_socket_buffers_arrives_whole(string engine)
    {
        var (stream, peer) = await ConnectedAsync(engine);
        using var peerSocket = peer;
        await using var _ = stream;

        var data = new byte[8 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        var writing = stream.WriteAsync(data).AsTask();
        var received = new byte[data.Length];
        var total = 0;
        while (total < received.Length)
        {
            total += await peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None);
        }

        await writing.WaitAsync(Guard);
        Assert.Equal(data, received);
    }

    private static async Task<string> ReadTextAsync(Stream stream, byte[] buffer)
    {
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Guard);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, read);
    }

    private async Task<(SocketStream Stream, Socket Peer)> ConnectedAsync(string engine)
    {
        var (io, peer) = await _sockets.DialledAsync(_sockets.Engine(engine));
        return (new SocketStream(io), peer);
    }

    public void Dispose() => _sockets.Dispose();
}
