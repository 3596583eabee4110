using Gateway.Passthrough;
using Gateway.Sni;

namespace Gateway.Edge;

/// <summary>Where <see cref="ConnectionRouter"/> sends a connection: a passthrough tunnel, Kestrel, or nowhere (it is closed).</summary>
internal readonly struct RouteDecision
{
    private RouteDecision(PassthroughRoute? tunnel, string? serverName, bool terminate, ClientHelloInfo? hello)
    {
        Tunnel = tunnel;
        ServerName = serverName;
        Terminate = terminate;
        Hello = hello;
    }

    /// <summary>The connection is closed: refused, or its hello was not one to route.</summary>
    public static RouteDecision Close => default;

    /// <summary>The passthrough route to tunnel through, when there is one.</summary>
    public PassthroughRoute? Tunnel { get; }

    /// <summary>The SNI a tunnel was matched by (none for a stream listener).</summary>
    public string? ServerName { get; }

    /// <summary>Kestrel takes the connection: TLS terminated here (with <see cref="Hello"/>), or plain HTTP.</summary>
    public bool Terminate { get; }

    public ClientHelloInfo? Hello { get; }

    public static RouteDecision ToTunnel(PassthroughRoute route, string? serverName) => new(route, serverName, terminate: false, hello: null);

    public static RouteDecision ToKestrel(ClientHelloInfo? hello) => new(null, null, terminate: true, hello);
}
