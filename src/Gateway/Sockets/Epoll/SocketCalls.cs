using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Sockets.Epoll;

/// <summary>
/// A loop's socket calls, made on the descriptor itself. .NET's <see cref="Socket"/> keeps its own state for a
/// non-blocking socket (an engine context of about 150 bytes, and a registration with its own epoll set on the first
/// wait): the loop's sockets never get one, since .NET is never told they are non-blocking.
/// </summary>
/// <remarks>
/// Each call holds the socket's handle for its duration, so a socket closed meanwhile fails with
/// <see cref="ObjectDisposedException"/>, as .NET's calls do, and its number is never used after it was reused.
/// </remarks>
internal static unsafe partial class SocketCalls
{
    private const string Libc = "libc";
    private const int NoSignal = 0x4000;
    private const int GetFlags = 3;
    private const int SetFlags = 4;
    private const int NonBlockingFlag = 0x800;

    public static void MakeNonBlocking(SafeSocketHandle socket)
    {
        var flags = fcntl(socket, GetFlags, 0);
        if (flags < 0 || fcntl(socket, SetFlags, flags | NonBlockingFlag) < 0)
        {
            throw new SocketException((int)LastError());
        }
    }

    public static int Receive(SafeSocketHandle socket, Span<byte> buffer, SocketFlags flags, out SocketError error)
    {
        fixed (byte* data = buffer)
        {
            while (true)
            {
                var read = recv(socket, data, buffer.Length, (int)flags);
                if (read >= 0)
                {
                    error = SocketError.Success;
                    return (int)read;
                }

                error = LastError();
                if (error != SocketError.Interrupted)
                {
                    return 0;
                }
            }
        }
    }

    public static int Send(SafeSocketHandle socket, ReadOnlySpan<byte> buffer, out SocketError error)
    {
        fixed (byte* data = buffer)
        {
            while (true)
            {
                // No SIGPIPE for a peer that is gone: the call fails with a broken pipe instead.
                var sent = send(socket, data, buffer.Length, NoSignal);
                if (sent >= 0)
                {
                    error = SocketError.Success;
                    return (int)sent;
                }

                error = LastError();
                if (error != SocketError.Interrupted)
                {
                    return 0;
                }
            }
        }
    }

    /// <returns><see cref="SocketError.InProgress"/> while the handshake runs: the socket becomes writable with its outcome.</returns>
    public static SocketError StartConnect(SafeSocketHandle socket, EndPoint endpoint)
    {
        var address = endpoint.Serialize();
        Span<byte> native = stackalloc byte[address.Size];
        address.Buffer.Span[..address.Size].CopyTo(native);
        fixed (byte* sockaddr = native)
        {
            return connect(socket, sockaddr, native.Length) == 0 ? SocketError.Success : LastError();
        }
    }

    /// <summary>The errors a stream socket's calls report, as .NET names them.</summary>
    private static SocketError LastError() => Marshal.GetLastPInvokeError() switch
    {
        4 => SocketError.Interrupted,
        11 => SocketError.WouldBlock,
        32 => SocketError.Shutdown, // EPIPE, as .NET reports it
        99 => SocketError.AddressNotAvailable,
        100 => SocketError.NetworkDown,
        101 => SocketError.NetworkUnreachable,
        103 => SocketError.ConnectionAborted,
        104 => SocketError.ConnectionReset,
        107 => SocketError.NotConnected,
        108 => SocketError.Shutdown,
        110 => SocketError.TimedOut,
        111 => SocketError.ConnectionRefused,
        113 => SocketError.HostUnreachable,
        115 => SocketError.InProgress,
        _ => SocketError.SocketError,
    };

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint recv(SafeSocketHandle socket, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint send(SafeSocketHandle socket, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int connect(SafeSocketHandle socket, byte* address, int length);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fcntl(SafeSocketHandle socket, int command, int argument);
}
