namespace Gateway.Passthrough;

/// <param name="Rise">Consecutive successes that bring a down destination back (HAProxy's rise, default 2).</param>
/// <param name="Fall">Consecutive failures - checks or connects - that take it down (HAProxy's fall, default 3).</param>
internal sealed record PassthroughHealthCheckConfig(bool Enabled, TimeSpan Interval, TimeSpan Timeout, int Rise, int Fall, HealthCheckMode Mode)
{
    public static PassthroughHealthCheckConfig Disabled { get; } = new(false, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), 2, 3, HealthCheckMode.Tcp);
}
