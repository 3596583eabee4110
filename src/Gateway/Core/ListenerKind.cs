namespace Gateway.Core;

/// <summary>
/// Which listener a connection arrived on. The public ones (Https, Http, Stream) are accepted by the edge; the edge
/// stores the kind in the connection's items for the HTTP pipeline.
/// </summary>
internal enum ListenerKind
{
    /// <summary>Reads the ClientHello: tunnels it, or hands it to Kestrel's TLS.</summary>
    Https,

    /// <summary>Hands every connection to Kestrel (redirects, ACME http-01) after the limits.</summary>
    Http,

    /// <summary>The admin listener, on Kestrel's own socket transport.</summary>
    Admin,

    /// <summary>Tunnels every connection to its stream's cluster.</summary>
    Stream,
}
