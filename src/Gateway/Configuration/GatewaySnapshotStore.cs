namespace Gateway.Configuration;

/// <summary>Holds the current <see cref="GatewaySnapshot"/>; readers take it once per connection.</summary>
internal sealed class GatewaySnapshotStore(GatewaySnapshot initial)
{
    private GatewaySnapshot _current = initial;

    public GatewaySnapshot Current => Volatile.Read(ref _current);

    public void Publish(GatewaySnapshot snapshot) => Volatile.Write(ref _current, snapshot);
}
