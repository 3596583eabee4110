namespace Gateway.Passthrough.Balancing;

internal enum HealthStatus
{
    /// <summary>Not checked yet, or checks are off: takes connections.</summary>
    Unknown,
    Healthy,
    Unhealthy,
}
