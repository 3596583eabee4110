namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The trait of the end-to-end tests that scripts/test.sh runs a second time on .NET's sockets
/// (<c>GATEWAY_TEST_SOCKET_ENGINE=dotnet</c>, <c>--filter Engines=both</c>): those whose traffic goes through the edge's
/// own sockets, where the engines differ. That is tunnels and their ends, streams and the connection limits, tunnels
/// across reloads, ClientHellos good and bad, L7 requests (HTTP/1.1, HTTP/2, gRPC) through the connections the edge
/// hands to Kestrel, hostile and slow clients, and NTLM on pinned backend connections.
/// </summary>
/// <remarks>
/// Left to the first pass alone: FirstRequestTimeoutTests (26 s of waiting for Kestrel's own deadline),
/// ReloadUnderLoadTests (40 s of load; ReloadTests covers tunnels across a reload), and tests whose logic is above the
/// sockets (host and path routing, redirects, health checks, which dial with .NET's sockets on either engine).
/// </remarks>
public static class BothEngines
{
    public const string Trait = "Engines";

    public const string Value = "both";
}
