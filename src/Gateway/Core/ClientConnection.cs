using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Gateway.Sockets;

namespace Gateway.Core;

/// <summary>
/// A connection the edge accepted: its socket, the addresses it stands for (a trusted PROXY header may have
/// replaced them), and the bytes read from it while deciding where it goes, which its next owner must see first.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    /// <summary>Most ClientHellos fit (a post-quantum key share makes one about 1.8 KB); larger ones grow the buffer.</summary>
    private const int FirstBufferSize = 4096;

    private Socket? _socket;
    private byte[]? _received;
    private int _length;

    /// <param name="acceptedAt">When the listener accepted the connection, as <see cref="TimeProvider.GetTimestamp"/> read it.</param>
    public ClientConnection(SocketIo io, long acceptedAt, CancellationToken stopping)
    {
        var socket = io.Socket;
        _socket = socket;
        Io = io;
        Stopping = stopping;
        AcceptedAt = acceptedAt;
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
    }

    /// <exception cref="ObjectDisposedException">The socket was handed on (<see cref="HandOver"/>).</exception>
    public Socket Socket => _socket ?? throw new ObjectDisposedException(nameof(ClientConnection));

    /// <summary>The socket's readiness, for a tunnel's reads and writes.</summary>
    public SocketIo Io { get; }

    public IPEndPoint? RemoteEndPoint { get; set; }

    public IPEndPoint? LocalEndPoint { get; set; }

    /// <summary>True when a PROXY header replaced the addresses.</summary>
    public bool Proxied { get; set; }

    /// <summary>
    /// Fires when a stop's shutdown timeout has passed: what this connection still waits for before it is a tunnel or a
    /// Kestrel connection (its PROXY header, ClientHello, dial) ends there.
    /// </summary>
    public CancellationToken Stopping { get; }

    /// <summary>When the listener accepted the connection (a <see cref="TimeProvider"/> timestamp).</summary>
    public long AcceptedAt { get; }

    /// <summary>
    /// What is left of <paramref name="sinceAccept"/>, counted from the accept; zero once it has passed. The PROXY header
    /// and the ClientHello share Gateway:ClientHello:Timeout this way: a balancer's slow header leaves the hello less
    /// time, rather than starting its count again.
    /// </summary>
    public TimeSpan TimeLeft(TimeSpan sinceAccept, TimeProvider time)
    {
        var left = sinceAccept - time.GetElapsedTime(AcceptedAt);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>The bytes read and not yet consumed.</summary>
    public ReadOnlyMemory<byte> Received => _received.AsMemory(0, _length);

    /// <summary>
    /// Waits for data, then reads what is there into the received bytes, holding at most <paramref name="capacity"/>
    /// of them. A connection that has sent nothing holds no buffer, and one that sends little holds a small one: a
    /// slow client costs what it sent, not the largest ClientHello allowed.
    /// </summary>
    /// <returns>The number of bytes read; 0 when the client finished sending or <paramref name="capacity"/> is reached.</returns>
    /// <exception cref="SocketException">The client reset.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public async ValueTask<int> ReceiveAsync(int capacity, CancellationToken cancellation)
    {
        var seen = Io.ReadVersion;
        if (_received is null)
        {
            // Nothing read yet, so no read is needed before this wait: anything there since the accept was reported.
            await Io.WaitReadableAsync(SocketIo.Registered, cancellation);
            seen = Io.ReadVersion;
            _received = ArrayPool<byte>.Shared.Rent(Math.Min(capacity, FirstBufferSize));
        }
        else if (_length == _received.Length && _length < capacity)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(capacity, _length * 2));
            _received.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_received);
            _received = larger;
        }

        var room = Math.Min(capacity, _received.Length) - _length;
        if (room <= 0)
        {
            return 0;
        }

        while (true)
        {
            var read = Io.Receive(_received.AsSpan(_length, room), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                await Io.WaitReadableAsync(seen, cancellation);
                seen = Io.ReadVersion;
                continue;
            }

            if (error != SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            _length += read;
            return read;
        }
    }

    /// <summary>Drops the first <paramref name="count"/> received bytes (a PROXY header).</summary>
    public void Consume(int count)
    {
        _received.AsSpan(count, _length - count).CopyTo(_received);
        _length -= count;
    }

    /// <summary>Hands the received bytes to their next reader, who returns the array to the shared pool.</summary>
    public (byte[]? Array, int Length) TakeReceived()
    {
        var taken = (_received, _length);
        _received = null;
        _length = 0;
        return taken;
    }

    /// <summary>Returns the received bytes' buffer once they have been passed on.</summary>
    public void ReleaseReceived()
    {
        if (TakeReceived().Array is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    /// <summary>Hands the socket on, still watched; it is no longer closed with this connection.</summary>
    public SocketIo HandOver()
    {
        _ = Socket;
        _socket = null;
        return Io;
    }

    public void Dispose()
    {
        ReleaseReceived();
        if (_socket is { } socket)
        {
            Io.Dispose();
            DiscardUnread(Io);
            socket.Dispose();
        }
    }

    /// <summary>
    /// Closing a socket with unread bytes sends RST instead of FIN: a client refused before its hello was read still
    /// gets a clean close. A client that keeps sending gets its reset after a bounded amount.
    /// </summary>
    private static void DiscardUnread(SocketIo io)
    {
        try
        {
            Span<byte> sink = stackalloc byte[1024];
            for (var budget = 64 * 1024; budget > 0 && io.Socket.Available > 0; budget -= sink.Length)
            {
                if (io.Receive(sink, SocketFlags.None, out var error) <= 0 || error != SocketError.Success)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset or closed already.
        }
    }
}
