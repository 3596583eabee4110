namespace Gateway.Sni;

/// <param name="Timeout">How long a new connection may take to send its whole ClientHello (HAProxy's inspect-delay), counted from accept: a trusted balancer's PROXY header included.</param>
/// <param name="MaxBytes">The most bytes the ClientHello may occupy, record headers included.</param>
internal sealed record ClientHelloConfig(TimeSpan Timeout, int MaxBytes);
