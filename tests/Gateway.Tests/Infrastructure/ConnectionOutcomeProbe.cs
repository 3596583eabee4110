namespace Gateway.Tests.Infrastructure;

/// <summary>Counts <c>gateway.connections</c> by outcome for one gateway (its own IMeterFactory), ignoring others in the process.</summary>
public sealed class ConnectionOutcomeProbe(TestGateway gateway) : IDisposable
{
    private readonly CounterProbe _probe = new(gateway, "gateway.connections");

    public long this[string outcome] => _probe[("outcome", outcome)];

    /// <summary>Every outcome together: each connection the gateway accepted is counted once.</summary>
    public long Total => _probe.Total;

    public void Dispose() => _probe.Dispose();
}
