namespace Gateway.Sni;

/// <summary>
/// What TLS termination needs to know of a ClientHello's cipher suites (Edge.TlsOptionsSelector): read once while
/// parsing, without keeping the list.
/// </summary>
[Flags]
internal enum ClientHelloSuites
{
    None = 0,

    /// <summary>TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or _256_GCM_SHA384 (0xC02B, 0xC02C).</summary>
    EcdsaGcm = 1,

    /// <summary>TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or _256_GCM_SHA384 (0xC02F, 0xC030).</summary>
    RsaGcm = 2,

    /// <summary>TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or TLS_CHACHA20_POLY1305_SHA256 (0x1301-0x1303).</summary>
    Tls13 = 4,
}
