namespace Gateway.Certificates;

/// <summary>The cipher suites a terminated handshake offers when <c>Gateway:Tls:CipherSuites</c> does not list them.</summary>
internal enum TlsPolicy
{
    /// <summary>Mozilla's "intermediate" profile: TLS 1.2 with ECDHE and AEAD suites only, and TLS 1.3.</summary>
    Intermediate,

    /// <summary>Mozilla's "modern" profile: TLS 1.3 only.</summary>
    Modern,

    /// <summary>What .NET and OpenSSL offer by default (or the system's OpenSSL configuration), CBC suites included.</summary>
    Platform,
}
