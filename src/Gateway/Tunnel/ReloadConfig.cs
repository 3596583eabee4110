namespace Gateway.Tunnel;

/// <param name="CloseRemovedAfter">How long tunnels of a route removed by a reload may keep running; null: until they end.</param>
internal sealed record ReloadConfig(TimeSpan? CloseRemovedAfter);
