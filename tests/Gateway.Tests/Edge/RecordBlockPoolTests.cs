using Gateway.Edge;

namespace Gateway.Tests.Edge;

public sealed class RecordBlockPoolTests
{
    [Fact]
    public void Blocks_are_a_TLS_record_long_reused_once_returned_and_never_handed_out_twice()
    {
        using var pool = new RecordBlockPool();
        Assert.Equal(16 * 1024, pool.MaxBufferSize);
        var first = pool.Rent();
        Assert.Equal(16 * 1024, first.Memory.Length);
        Assert.Equal(16 * 1024, pool.Rent(1).Memory.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(16 * 1024 + 1));

        var array = first.Memory;
        first.Dispose();
        first.Dispose(); // a second return must not put the block in the pool twice
        var again = pool.Rent();
        Assert.True(again.Memory.Span == array.Span, "a returned block is reused");
        var other = pool.Rent();
        Assert.False(other.Memory.Span == array.Span, "a block returned twice was handed out twice");
    }

    [Fact]
    public void The_pool_keeps_at_most_256_free_blocks_and_none_once_disposed()
    {
        var pool = new RecordBlockPool();
        var rented = Enumerable.Range(0, 300).Select(_ => pool.Rent()).ToList();
        var arrays = rented.Select(block => block.Memory).ToList();
        rented.ForEach(block => block.Dispose());

        var reused = Enumerable.Range(0, 300).Select(_ => pool.Rent()).Count(block => arrays.Any(array => array.Span == block.Memory.Span));
        Assert.Equal(256, reused);

        var kept = pool.Rent();
        pool.Dispose();
        kept.Dispose();
        Assert.Equal(16 * 1024, pool.Rent().Memory.Length);
    }
}
