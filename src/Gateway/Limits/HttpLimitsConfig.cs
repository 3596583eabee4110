namespace Gateway.Limits;

/// <param name="RequestHeadersTimeout">From a connection's start (the end of its TLS handshake) to its first complete request head; for a later request, from its first byte.</param>
/// <param name="KeepAliveTimeout">An idle keep-alive connection is closed after this.</param>
/// <param name="MaxRequestHeadersTotalSize">Bytes of request line and headers together.</param>
/// <param name="MaxRequestHeaderCount">Header fields per request.</param>
/// <param name="MinRequestBodyDataRate">Bytes per second a request body must keep up after a 5 s grace; 0: no minimum. Lifted for connection-pinned clusters.</param>
/// <param name="MaxRequestBodySize">Largest request body; null: no limit. Lifted for connection-pinned clusters.</param>
internal sealed record HttpLimitsConfig(
    TimeSpan RequestHeadersTimeout,
    TimeSpan KeepAliveTimeout,
    int MaxRequestHeadersTotalSize,
    int MaxRequestHeaderCount,
    int MinRequestBodyDataRate,
    long? MaxRequestBodySize);
