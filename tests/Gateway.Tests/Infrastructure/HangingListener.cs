using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A loopback listener whose accept queue is full: it drops SYNs, so a connect to it hangs (until the connect's own
/// timeout, or a cancel) instead of being refused.
/// </summary>
public sealed class HangingListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _fillers = [];

    public HangingListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        for (var i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _fillers.Add(filler);
            _ = filler.ConnectAsync(_listener.LocalEndPoint!).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    public void Dispose()
    {
        _fillers.ForEach(static filler => filler.Dispose());
        _listener.Dispose();
    }
}
