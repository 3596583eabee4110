using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Gateway.Sockets;

/// <summary>
/// A socket send borrowed from a shared pool for the length of one write. <c>Socket.SendAsync(memory)</c> keeps
/// its event args on the socket afterwards (about 300 bytes with their callbacks), which every idle tunnel would
/// hold twice, once per socket.
/// </summary>
internal sealed class PooledSend : SocketAsyncEventArgs, IValueTaskSource<int>
{
    /// <summary>Enough for the sends in flight at once on a busy box; beyond it they are made and dropped.</summary>
    private const int MaxPooled = 256;

    private static readonly ConcurrentQueue<PooledSend> Pool = new();
    private static int _pooled;

    private ManualResetValueTaskSourceCore<int> _source;

    private PooledSend()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    /// <exception cref="SocketException">The send failed.</exception>
    /// <exception cref="ObjectDisposedException">The socket was closed.</exception>
    public static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        var send = Rent();
        try
        {
            while (!data.IsEmpty)
            {
                data = data[await send.SendAsync(socket, data)..];
            }
        }
        finally
        {
            Return(send);
        }
    }

    private ValueTask<int> SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        _source.Reset();
        SetBuffer(MemoryMarshal.AsMemory(data));
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _source.Version);
        }

        return SocketError == SocketError.Success ? new(BytesTransferred) : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        if (SocketError == SocketError.Success)
        {
            _source.SetResult(BytesTransferred);
        }
        else
        {
            _source.SetException(new SocketException((int)SocketError));
        }
    }

    private static PooledSend Rent()
    {
        if (Pool.TryDequeue(out var send))
        {
            Interlocked.Decrement(ref _pooled);
            return send;
        }

        return new PooledSend();
    }

    private static void Return(PooledSend send)
    {
        send.SetBuffer(Memory<byte>.Empty); // holds no caller's buffer while pooled
        if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Enqueue(send);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
            send.Dispose();
        }
    }

    int IValueTaskSource<int>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _source.OnCompleted(continuation, state, token, flags);
}
