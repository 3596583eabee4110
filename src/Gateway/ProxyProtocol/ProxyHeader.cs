using System.Net;

namespace Gateway.ProxyProtocol;

/// <param name="Source">The original client; null for v2 LOCAL and v1 UNKNOWN (the connection is the sender's own: keep its address).</param>
/// <param name="Length">Bytes the header occupies, to consume before anything else is read.</param>
internal readonly record struct ProxyHeader(ProxyHeaderStatus Status, int Length, IPEndPoint? Source, IPEndPoint? Destination, string? Error)
{
    public static ProxyHeader NeedMore => new(ProxyHeaderStatus.NeedMoreData, 0, null, null, null);

    public static ProxyHeader Invalid(string error) => new(ProxyHeaderStatus.Invalid, 0, null, null, error);
}
