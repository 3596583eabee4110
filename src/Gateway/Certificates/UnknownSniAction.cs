namespace Gateway.Certificates;

internal enum UnknownSniAction
{
    /// <summary>Complete the handshake with the fallback certificate and answer with the default site.</summary>
    Terminate,

    /// <summary>Close the connection before any TLS answer: scanners learn nothing, not even a certificate.</summary>
    Reject,
}
