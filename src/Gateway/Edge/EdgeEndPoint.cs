using System.Net;
using Gateway.Core;

namespace Gateway.Edge;

/// <summary>
/// A public listener whose connections Gateway accepts itself (<see cref="EdgeListener"/>). Kestrel binds it through
/// <see cref="EdgeListenerFactory"/> and only ever sees the connections the edge hands it.
/// </summary>
internal sealed class EdgeEndPoint(IPAddress address, int port, ListenerKind kind, string? streamId = null, bool optional = false) : IPEndPoint(address, port)
{
    public ListenerKind Kind { get; } = kind;

    /// <summary>The stream's id, for <see cref="ListenerKind.Stream"/>.</summary>
    public string? StreamId { get; } = streamId;

    /// <summary>
    /// An address that may not exist on this machine (IPv6 loopback, where IPv6 is off): a failure to bind it leaves
    /// the listener inert instead of stopping the start.
    /// </summary>
    public bool Optional { get; } = optional;

    public EdgeEndPoint WithPort(int port) => new(Address, port, Kind, StreamId, Optional);
}
