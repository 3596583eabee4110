namespace Gateway.Hosting;

/// <param name="Timeout">How long a stop waits for open connections and tunnels before closing them.</param>
internal sealed record ShutdownConfig(TimeSpan Timeout);
