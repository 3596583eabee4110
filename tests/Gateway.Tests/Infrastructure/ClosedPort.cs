using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A loopback TCP port where nothing listens: the socket stays bound (never listening) until disposed, so a
/// connect is refused and no parallel test can take the port meanwhile.
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort() => _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    /// <summary>host:port, for a destination's Address.</summary>
    public string Address => $"127.0.0.1:{Port}";

    public void Dispose() => _socket.Dispose();
}
