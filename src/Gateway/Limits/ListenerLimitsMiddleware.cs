using Gateway.Metrics;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Limits;

/// <summary>Gateway:Limits on the HTTP listener, the same slots and rates as the HTTPS listener's router takes.</summary>
internal sealed class ListenerLimitsMiddleware(ConnectionDelegate next, ConnectionLimiter limiter, GatewayMetrics metrics)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (!await limiter.TryRunAsync(Balancing.DestinationPicker.ClientKey(connection.RemoteEndPoint), static s => s.Next(s.Connection), (Next: next, Connection: connection)))
        {
            metrics.ConnectionRouted(ConnectionOutcomes.RefusedLimit);
        }
    }
}
