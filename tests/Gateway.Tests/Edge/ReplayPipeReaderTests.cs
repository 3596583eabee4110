using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Gateway.Edge;

namespace Gateway.Tests.Edge;

public sealed class ReplayPipeReaderTests
{
    private readonly Pipe _socket = new();

    [Fact]
    public async Task Replays_the_routed_bytes_then_reads_the_socket_input()
    {
        var reader = Replaying("hello");
        await _socket.Writer.WriteAsync("world"u8.ToArray());

        Assert.Equal("hello", await ReadAllAsync(reader));
        Assert.Equal("world", await ReadAllAsync(reader));
    }

    [Fact]
    public async Task Keeps_the_replayed_bytes_a_reader_did_not_consume()
    {
        var reader = Replaying("hello");

        var first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.GetPosition(2));

        Assert.Equal("llo", await ReadAllAsync(reader));
    }

    [Fact]
    public async Task A_reader_that_needs_more_than_the_replay_gets_it_joined_with_what_comes_next()
    {
        var reader = Replaying("hel");
        var first = await reader.ReadAsync();
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        var next = reader.ReadAsync();
        Assert.False(next.IsCompleted, "the join waits for the socket");
        await _socket.Writer.WriteAsync("lo"u8.ToArray());

        var joined = await next;
        Assert.Equal("hello", Text(joined.Buffer));
        reader.AdvanceTo(joined.Buffer.End);
    }

    [Fact]
    public async Task The_end_of_the_socket_input_follows_the_replay()
    {
        var reader = Replaying("hello");
        await _socket.Writer.CompleteAsync();

        Assert.Equal("hello", await ReadAllAsync(reader));
        var last = await reader.ReadAsync();
        Assert.True(last.IsCompleted);
        Assert.True(last.Buffer.IsEmpty);
    }

    [Fact]
    public async Task A_cancel_while_replaying_ends_the_next_read_and_only_that_one()
    {
        var reader = Replaying("hello");
        reader.CancelPendingRead();

        var canceled = await reader.ReadAsync();
        Assert.True(canceled.IsCanceled);
        reader.AdvanceTo(canceled.Buffer.Start);

        await _socket.Writer.WriteAsync("world"u8.ToArray());
        Assert.Equal("hello", await ReadAllAsync(reader));
        var next = await reader.ReadAsync();
        Assert.False(next.IsCanceled, "the cancel was not passed on to the socket's input");
        Assert.Equal("world", Text(next.Buffer));
    }

    private ReplayPipeReader Replaying(string text)
    {
        var rented = ArrayPool<byte>.Shared.Rent(64);
        var length = Encoding.ASCII.GetBytes(text, rented);
        return new ReplayPipeReader(rented, length, _socket.Reader);
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        var read = await reader.ReadAsync();
        var text = Text(read.Buffer);
        reader.AdvanceTo(read.Buffer.End);
        return text;
    }

    private static string Text(ReadOnlySequence<byte> buffer) => Encoding.ASCII.GetString(buffer.ToArray());
}
