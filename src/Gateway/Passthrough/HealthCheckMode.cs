namespace Gateway.Passthrough;

internal enum HealthCheckMode
{
    /// <summary>A TCP connect that succeeds is healthy.</summary>
    Tcp,

    /// <summary>A TLS handshake must complete too, so a port that accepts but whose TLS stack is dead counts as down.</summary>
    Tls,
}
