namespace Gateway.Sni;

/// <summary>What <see cref="ClientHelloParser"/> made of the bytes peeked so far.</summary>
internal enum ClientHelloStatus
{
    /// <summary>A TLS ClientHello so far, but not all of it has arrived yet.</summary>
    NeedMoreData,

    /// <summary>Not a TLS handshake record at all: plain HTTP, garbage, or an SSLv2-compatible hello.</summary>
    NotTls,

    /// <summary>Looks like TLS but breaks the ClientHello grammar (bad lengths, wrong message, bad extension).</summary>
    Invalid,

    /// <summary>The ClientHello (as declared or as received) exceeds the configured byte cap.</summary>
    TooLarge,

    /// <summary>A whole, well-formed ClientHello.</summary>
    Complete,
}
