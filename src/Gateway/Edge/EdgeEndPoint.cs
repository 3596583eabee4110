using System.Net;

namespace Gateway.Edge;

/// <summary>
/// A public listener whose connections Gateway accepts itself (<see cref="EdgeListener"/>): the HTTPS listener
/// (<see cref="StreamId"/> null) or a stream listener. Kestrel binds it through <see cref="EdgeListenerFactory"/>
/// and only ever sees the connections the edge terminates.
/// </summary>
internal sealed class EdgeEndPoint(IPAddress address, int port, string? streamId, bool optional = false) : IPEndPoint(address, port)
{
    public string? StreamId { get; } = streamId;

    /// <summary>
    /// An address that may not exist on this machine (IPv6 loopback, where IPv6 is off): a failure to bind it leaves
    /// the listener inert instead of stopping the start.
    /// </summary>
    public bool Optional { get; } = optional;

    public EdgeEndPoint WithPort(int port) => new(Address, port, StreamId, Optional);
}
