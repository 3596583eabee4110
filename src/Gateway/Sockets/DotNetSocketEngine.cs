using System.Net;
using System.Net.Sockets;

namespace Gateway.Sockets;

/// <summary>
/// Readiness through .NET's own socket engine: a zero-byte receive waits for data, and an asynchronous send for room.
/// Each wait first tries the call, so a tunnelled request costs two more reads than on <see cref="Epoll.EpollEngine"/>.
/// </summary>
internal sealed class DotNetSocketEngine : SocketEngine
{
    public override SocketIo Register(Socket socket, SocketIo? near = null)
    {
        socket.Blocking = false;
        return new DotNetSocketIo(socket, this);
    }

    public override async ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, SocketIo? near, CancellationToken cancellation)
    {
        await socket.ConnectAsync(endpoint, cancellation);
        return Register(socket, near);
    }

    public override ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, int group, CancellationToken cancellation) =>
        ConnectAsync(socket, endpoint, null, cancellation);

    private sealed class DotNetSocketIo(Socket socket, SocketEngine engine) : SocketIo(socket, engine)
    {
        public override int ReadVersion => 0;

        public override int Receive(Span<byte> buffer, SocketFlags flags, out SocketError error) => Socket.Receive(buffer, flags, out error);

        public override int Send(ReadOnlySpan<byte> data, out SocketError error) => Socket.Send(data, SocketFlags.None, out error);

        public override async ValueTask WaitReadableAsync(int seen, CancellationToken cancellation = default) =>
            await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellation);

        protected override int WriteVersion => 0;

        protected override ValueTask SendRestAsync(ReadOnlyMemory<byte> rest, int seen) => PooledSend.SendAllAsync(Socket, rest);

        public override void Dispose()
        {
        }
    }
}
