using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Passthrough.Balancing;

namespace Gateway.Passthrough.Health;

/// <summary>
/// Probes every destination of every cluster with active checks on, each cluster at its own Interval:
/// a TCP connect, or a TLS handshake too with <c>Mode: "Tls"</c>. Follows reloads; the health it records
/// lives in the cluster state, not in the config, so a reload does not forget it.
/// </summary>
internal sealed partial class ActiveHealthChecker : BackgroundService
{
    private readonly PassthroughClusters _clusters;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _changed = new(0);

    public ActiveHealthChecker(PassthroughClusters clusters, GatewayMetrics metrics, TimeProvider time, ILogger<ActiveHealthChecker> logger)
    {
        _clusters = clusters;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new Dictionary<PassthroughCluster, (PassthroughHealthCheckConfig Config, CancellationTokenSource Stop, Task Loop)>();
        _clusters.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var cluster in _clusters.All)
                {
                    var config = cluster.Config.HealthCheck;
                    if (running.TryGetValue(cluster, out var loop) && loop.Config == config)
                    {
                        continue;
                    }

                    if (running.Remove(cluster, out loop))
                    {
                        await StopAsync(loop.Stop, loop.Loop);
                    }

                    if (config.Enabled)
                    {
                        var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                        running[cluster] = (config, stop, CheckLoopAsync(cluster, config, stop.Token));
                    }
                }

                foreach (var gone in running.Keys.Where(c => _clusters.Get(c.ClusterId) != c).ToList())
                {
                    running.Remove(gone, out var loop);
                    await StopAsync(loop.Stop, loop.Loop);
                }

                await _changed.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _clusters.Changed -= OnChanged;
            foreach (var loop in running.Values)
            {
                await StopAsync(loop.Stop, loop.Loop);
            }
        }
    }

    private void OnChanged() => _changed.Release();

    private static async Task StopAsync(CancellationTokenSource stop, Task loop)
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    private async Task CheckLoopAsync(PassthroughCluster cluster, PassthroughHealthCheckConfig config, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.WhenAll(cluster.Destinations.Select(d => CheckAsync(cluster, d, config, stop)));
                await Task.Delay(config.Interval, _time, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task CheckAsync(PassthroughCluster cluster, PassthroughDestination destination, PassthroughHealthCheckConfig config, CancellationToken stop)
    {
        var address = destination.Config.Address;
        var at = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        string? failure = null;
        try
        {
            using var socket = await BackendDialer.ConnectAsync(address, config.Timeout, _time, stop);
            if (config.Mode == HealthCheckMode.Tls)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
                deadline.CancelAfter(config.Timeout);
                await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = address.Address is null ? address.Host : "",
#pragma warning disable CA5359 // Liveness only: the certificate is the client's business, checked end to end through the tunnel.
                    RemoteCertificateValidationCallback = static (_, _, _, _) => true,
#pragma warning restore CA5359
                }, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets)
        {
            // The gateway is out of descriptors: says nothing about the destination, so the check does not count.
            Log.Skipped(_logger, cluster.ClusterId, destination.DestinationId, e.Message);
            return;
        }
        catch (Exception e) when (e is SocketException or TimeoutException or IOException or AuthenticationException or OperationCanceledException)
        {
            failure = e is OperationCanceledException ? "TLS handshake timed out" : e.Message;
        }
#pragma warning disable CA1031 // A probe must never take its loop (and the host) down; anything unexpected counts as a failed check.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // A bug, not the destination's doing: said as such, so it does not pass for a down backend.
            _metrics.InternalError(InternalErrors.HealthCheck);
            Log.CheckFailedUnexpectedly(_logger, cluster.ClusterId, destination.DestinationId, e);
            failure = e.Message;
        }

        if (stop.IsCancellationRequested)
        {
            return; // checks were switched off or changed meanwhile: the result belongs to nobody
        }

        destination.Health.CheckDone(new HealthCheckResult(at, _time.GetElapsedTime(started), failure));

        if (failure is null)
        {
            if (destination.Health.RecordSuccess(config.Rise) is { } status)
            {
                Log.Up(_logger, cluster.ClusterId, destination.DestinationId, address.ToString(), status);
            }
        }
        else if (destination.Health.RecordFailure(config.Fall) == HealthStatus.Unhealthy)
        {
            Log.Down(_logger, cluster.ClusterId, destination.DestinationId, address.ToString(), failure);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.DestinationDown, LogLevel.Warning, "Destination {DestinationId} ({Address}) of cluster {ClusterId} is down: {Reason}", EventName = "DestinationDown")]
        public static partial void Down(ILogger logger, string clusterId, string destinationId, string address, string reason);

        [LoggerMessage(LogEvents.DestinationUp, LogLevel.Information, "Destination {DestinationId} ({Address}) of cluster {ClusterId} is {Status}", EventName = "DestinationUp")]
        public static partial void Up(ILogger logger, string clusterId, string destinationId, string address, HealthStatus status);

        [LoggerMessage(LogEvents.HealthCheckError, LogLevel.Error, "Health check of destination {DestinationId} of cluster {ClusterId} failed unexpectedly; counted as a failed check", EventName = "HealthCheckError")]
        public static partial void CheckFailedUnexpectedly(ILogger logger, string clusterId, string destinationId, Exception exception);

        [LoggerMessage(LogEvents.HealthCheckSkipped, LogLevel.Debug, "Health check of destination {DestinationId} of cluster {ClusterId} not counted: {Reason}", EventName = "HealthCheckSkipped")]
        public static partial void Skipped(ILogger logger, string clusterId, string destinationId, string reason);
    }
}
