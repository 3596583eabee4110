using System.Net;

namespace Gateway.Edge;

/// <summary>What a public listener does with a connection once its PROXY header (if any) is read.</summary>
internal enum EdgeRole
{
    /// <summary>Reads the ClientHello: tunnels it, or hands it to Kestrel's TLS.</summary>
    Https,

    /// <summary>Hands every connection to Kestrel (redirects, ACME http-01) after the limits.</summary>
    Http,

    /// <summary>Tunnels every connection to its stream's cluster.</summary>
    Stream,
}

/// <summary>
/// A public listener whose connections Gateway accepts itself (<see cref="EdgeListener"/>). Kestrel binds it through
/// <see cref="EdgeListenerFactory"/> and only ever sees the connections the edge hands it.
/// </summary>
internal sealed class EdgeEndPoint(IPAddress address, int port, EdgeRole role, string? streamId = null, bool optional = false) : IPEndPoint(address, port)
{
    public EdgeRole Role { get; } = role;

    /// <summary>The stream's id, for <see cref="EdgeRole.Stream"/>.</summary>
    public string? StreamId { get; } = streamId;

    /// <summary>
    /// An address that may not exist on this machine (IPv6 loopback, where IPv6 is off): a failure to bind it leaves
    /// the listener inert instead of stopping the start.
    /// </summary>
    public bool Optional { get; } = optional;

    public EdgeEndPoint WithPort(int port) => new(Address, port, Role, StreamId, Optional);
}
