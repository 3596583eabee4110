using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Sni;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Several loopback TCP backends that greet each connection with their name, then echo: enough to see which
/// destination a passthrough connection reached, and that it stays usable.
/// </summary>
public sealed class NamedBackends : IAsyncDisposable
{
    public const string Host = "pool.test";

    private readonly Dictionary<string, RawTcpBackend> _backends = [];

    public NamedBackends(params string[] names)
    {
        foreach (var name in names)
        {
            Start(name);
        }
    }

    public IReadOnlyDictionary<string, RawTcpBackend> Backends => _backends;

    /// <summary>Starts (or restarts, on its old port) the backend called <paramref name="name"/>.</summary>
    public void Start(string name, int port = 0) => _backends[name] = new RawTcpBackend(socket => GreetAndEchoAsync(socket, name), port);

    public async Task StopAsync(string name)
    {
        await _backends[name].DisposeAsync();
    }

    /// <summary>A Gateway section with one passthrough route for <see cref="Host"/> to a cluster of these backends.</summary>
    public JsonObject Gateway(JsonObject? clusterSettings = null)
    {
        var destinations = new JsonObject();
        foreach (var (name, backend) in _backends)
        {
            destinations[name] = new JsonObject { ["Address"] = backend.Address };
        }

        var cluster = new JsonObject { ["Destinations"] = destinations };
        foreach (var (key, value) in clusterSettings ?? [])
        {
            cluster[key] = value?.DeepClone();
        }

        return new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Routes"] = new JsonObject { ["pool"] = new JsonObject { ["Hosts"] = new JsonArray(Host), ["ClusterId"] = "pool" } },
                ["Clusters"] = new JsonObject { ["pool"] = cluster },
            },
        };
    }

    /// <summary>Opens a passthrough connection (from <paramref name="source"/>, a 127.x address) and returns it with the name of the backend it reached.</summary>
    public static async Task<(Socket Socket, string Backend)> ConnectAsync(IPEndPoint gateway, string? source = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (source is not null)
        {
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
        }

        await socket.ConnectAsync(gateway);
        await socket.SendAsync(Hello.Value);
        var name = await ReadLineAsync(socket);
        if (name != "(closed)")
        {
            // The backend echoes the hello after its greeting; take it off the wire so the socket is clean.
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var echoed = new byte[Hello.Value.Length];
            for (var read = 0; read < echoed.Length;)
            {
                var n = await socket.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, guard.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }

        return (socket, name);
    }

    /// <summary>Like <see cref="ConnectAsync"/> but only the backend's name, closing the connection.</summary>
    public static async Task<string> WhichBackendAsync(IPEndPoint gateway, string? source = null)
    {
        var (socket, backend) = await ConnectAsync(gateway, source);
        socket.Dispose();
        return backend;
    }

    public static async Task<string> ReadLineAsync(Socket socket)
    {
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var line = new StringBuilder();
        var one = new byte[1];
        while (true)
        {
            int count;
            try
            {
                count = await socket.ReceiveAsync(one, SocketFlags.None, guard.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && line.Length == 0)
            {
                // A refused connection whose hello had already arrived is closed with unread bytes: Linux answers RST.
                return "(closed)";
            }

            if (count == 0)
            {
                return line.Length == 0 ? "(closed)" : line.ToString();
            }

            if (one[0] == '\n')
            {
                return line.ToString();
            }

            line.Append((char)one[0]);
        }
    }

    private static readonly Lazy<byte[]> Hello = new(() => RealClientHello.Capture(Host));

    private static async Task GreetAndEchoAsync(Socket socket, string name)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(name + "\n"));
        var buffer = new byte[4096];
        int count;
        while ((count = await socket.ReceiveAsync(buffer)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, count));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends.Values)
        {
            await backend.DisposeAsync();
        }
    }
}
