using System.Buffers;
using System.Collections.Concurrent;

namespace Gateway.Edge;

/// <summary>
/// The buffers of the connections the edge terminates: blocks of 16 KiB, the largest TLS record, where Kestrel's own
/// pool has 4 KiB. Kestrel writes its TLS output one pool block at a time, and <c>SslStream</c> makes a record of each
/// write, so a large response left in 4 KiB records, each encrypted, framed and handed over on its own; nginx writes
/// 16 KiB records (docs/benchmarks.md, "Large responses: record-sized blocks").
/// </summary>
/// <remarks>
/// One pool per epoll loop, as before: a connection rents and returns on its loop's thread. A block is pinned (the
/// sockets read and write it in place) and is kept for reuse up to <see cref="Retained"/> blocks; past that, a
/// returned block goes to the collector. A connection holds no block while its client is idle.
/// </remarks>
internal sealed class RecordBlockPool : MemoryPool<byte>
{
    /// <summary>The largest TLS plaintext record (RFC 8446, section 5.1).</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>4 MiB per loop: the blocks of a few hundred requests in flight, reused without being allocated again.</summary>
    private const int Retained = 256;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private volatile bool _disposed;

    public override int MaxBufferSize => BlockSize;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> is larger than a block.</exception>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented();
            return block;
        }

        return new Block(this);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _free.Clear();
    }

    private void Return(Block block)
    {
        if (_disposed || Interlocked.Increment(ref _freeCount) > Retained)
        {
            Interlocked.Decrement(ref _freeCount);
            return;
        }

        _free.Enqueue(block);
    }

    private sealed class Block(RecordBlockPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);
        private int _returned;

        public Memory<byte> Memory => _array;

        public void Rented() => Volatile.Write(ref _returned, 0);

        /// <summary>Returns the block; a second call does nothing, so a block is never handed out twice.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0)
            {
                pool.Return(this);
            }
        }
    }
}
