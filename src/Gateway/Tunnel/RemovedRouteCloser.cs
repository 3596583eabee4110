using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Passthrough;

namespace Gateway.Tunnel;

/// <summary>
/// Gateway:Reload:CloseRemovedAfter: tunnels of a passthrough route that a reload removed are closed once the grace
/// period has passed, unless a later reload added the route back.
/// </summary>
internal sealed partial class RemovedRouteCloser
{
    private readonly GenerationStore _generations;
    private readonly TunnelHandler _tunnels;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public RemovedRouteCloser(GenerationStore generations, TunnelHandler tunnels, TimeProvider time, ILogger<RemovedRouteCloser> logger)
    {
        _generations = generations;
        _tunnels = tunnels;
        _time = time;
        _logger = logger;
        generations.Published += Schedule;
    }

    private void Schedule(Generation previous, Generation next)
    {
        var nextRoutes = next.Get<PassthroughConfig>().Routes;
        var removed = previous.Get<PassthroughConfig>().Routes.Keys.Where(id => !nextRoutes.ContainsKey(id))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (next.Get<ReloadConfig>().CloseRemovedAfter is not { } grace || removed.Count == 0)
        {
            return;
        }

        _ = Task.Delay(grace, _time).ContinueWith(
            _ =>
            {
                var closed = _tunnels.CloseTunnels(
                    routeId => removed.Contains(routeId) && !_generations.Current.Get<PassthroughConfig>().Routes.ContainsKey(routeId), TunnelEnd.RouteRemoved);
                if (closed > 0)
                {
                    Log.ClosedRemoved(_logger, closed);
                }
            },
            TaskScheduler.Default);
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.RemovedRouteTunnelsClosed, LogLevel.Information, "Closed {Count} tunnel(s) of passthrough routes removed by a reload", EventName = "RemovedRouteTunnelsClosed")]
        public static partial void ClosedRemoved(ILogger logger, int count);
    }
}
