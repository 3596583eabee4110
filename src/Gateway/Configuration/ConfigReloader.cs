using System.Security.Cryptography;
using System.Threading.Channels;
using Gateway.Hosting;
using Gateway.Metrics;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Proxy;
using Gateway.Tunnel;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Configuration;

/// <summary>
/// Watches the config file (and the certificate files it names) and applies each saved edit as a new
/// generation: all of it or none of it.
/// A rejected file leaves the last good generation serving and says why; open tunnels never notice a reload.
/// </summary>
internal sealed partial class ConfigReloader : BackgroundService
{
    /// <summary>An editor's save is often several events (write temp, rename, touch): wait for quiet first.</summary>
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly CommandLine _commandLine;
    private readonly GatewaySnapshotFactory _factory;
    private readonly GatewaySnapshotStore _store;
    private readonly InMemoryConfigProvider _proxy;
    private readonly ProxyConfigApplied _proxyApplied;
    private readonly TunnelHandler _tunnels;
    private readonly PassthroughClusters _clusters;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly FileChangeWatcher _files;
    private byte[]? _appliedHash;

    /// <summary>YARP applies within milliseconds; this bounds a wait that should never be reached.</summary>
    private static readonly TimeSpan ProxyApplyTimeout = TimeSpan.FromSeconds(10);

    public ConfigReloader(CommandLine commandLine, GatewaySnapshotFactory factory, GatewaySnapshotStore store, InMemoryConfigProvider proxy,
        ProxyConfigApplied proxyApplied, TunnelHandler tunnels, PassthroughClusters clusters, GatewayMetrics metrics, TimeProvider time, ILogger<ConfigReloader> logger)
    {
        _clusters = clusters;
        _proxyApplied = proxyApplied;
        _commandLine = commandLine;
        _factory = factory;
        _store = store;
        _proxy = proxy;
        _tunnels = tunnels;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _appliedHash = HashFile();
        _files = new FileChangeWatcher(() => _changes.Writer.TryWrite(true), logger);
    }

    public override void Dispose()
    {
        _files.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Watch(_store.Current);

        try
        {
            while (await _changes.Reader.WaitToReadAsync(stoppingToken))
            {
                do
                {
                    _changes.Reader.TryRead(out _);
                    await Task.Delay(Debounce, _time, stoppingToken);
                }
                while (_changes.Reader.TryPeek(out _));

                try
                {
                    await ReloadAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A bug in one reload must not stop the watcher, let alone the gateway.
                    _store.Reject(new ReloadFailure(_time.GetUtcNow(), [new ConfigError(_commandLine.ConfigFile, "reload failed: " + e.Message)]));
                    _metrics.ConfigReloaded(ReloadOutcomes.Rejected);
                    Log.ReloadCrashed(_logger, _commandLine.ConfigFile, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Reads the file now and applies it if it is valid and different. True when a new generation is serving.</summary>
    public async Task<bool> ReloadAsync()
    {
        await _reloading.WaitAsync();
        try
        {
            var hash = HashFile();
            if (hash is not null && _appliedHash is not null && hash.AsSpan().SequenceEqual(_appliedHash) && _store.LastFailure is null)
            {
                return false;
            }

            var current = _store.Current;
            var errors = new ConfigErrors();
            var configuration = ConfigSources.TryBuild(_commandLine.ConfigFile, _commandLine.Remaining, errors);
            var (snapshot, problems) = configuration is null
                ? (null, errors.All)
                : await _factory.BuildAsync(configuration, _commandLine.BaseDirectory, current.Generation + 1);
            if (snapshot is null)
            {
                _store.Reject(new ReloadFailure(_time.GetUtcNow(), problems));
                _metrics.ConfigReloaded(ReloadOutcomes.Rejected);
                Log.Rejected(_logger, _commandLine.ConfigFile, current.Generation, problems.Count,
                    string.Join(Environment.NewLine, problems.Select(p => "  " + p)));
                return false;
            }

            snapshot = KeepListeners(current, snapshot);

            // L7 first, then L4: both serve the new generation within the same instant, and a YARP failure
            // (which validation should make impossible) leaves both on the old one.
            var revision = snapshot.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var applied = _proxyApplied.WaitFor(revision);
            _proxy.Update(snapshot.Proxy.Routes, snapshot.Proxy.Clusters, revision);
            Exception? proxyError;
            try
            {
                proxyError = await applied.WaitAsync(ProxyApplyTimeout, _time);
            }
            catch (TimeoutException e)
            {
                proxyError = e;
            }

            if (proxyError is not null)
            {
                var proxyErrors = new[] { new ConfigError(ProxyConfigReader.SectionName, proxyError.Message) };
                _store.Reject(new ReloadFailure(_time.GetUtcNow(), proxyErrors));
                _metrics.ConfigReloaded(ReloadOutcomes.Rejected);
                Log.Rejected(_logger, _commandLine.ConfigFile, current.Generation, 1, "  " + proxyErrors[0]);
                _proxy.Update(current.Proxy.Routes, current.Proxy.Clusters, current.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return false;
            }

            _clusters.Apply(snapshot.Config.Passthrough);
            _store.Publish(snapshot);
            _appliedHash = hash;
            _metrics.ConfigReloaded(ReloadOutcomes.Applied);
            Log.Applied(_logger, snapshot.Generation, _commandLine.ConfigFile);
            ScheduleRemovedRouteClose(current, snapshot);
            return true;
        }
        finally
        {
            // After a failed reload too: a watch the inotify limit refused earlier is tried again.
            Watch(_store.Current);
            _reloading.Release();
        }
    }

    private void Watch(GatewaySnapshot snapshot) =>
        _files.Watch([_commandLine.ConfigFile, .. CertificateFiles(snapshot)]);

    private static IEnumerable<string> CertificateFiles(GatewaySnapshot snapshot) =>
        snapshot.Config.Tls.Certificates.SelectMany(c => new[] { c.CertificatePath, c.KeyPath });

    /// <summary>Listeners are bound once: a changed address is reported, and the rest of the edit still applies.</summary>
    private GatewaySnapshot KeepListeners(GatewaySnapshot current, GatewaySnapshot next)
    {
        var running = current.Config.Listeners;
        var wanted = next.Config.Listeners;
        var runningStreams = Describe(current.Config.Passthrough.Streams);
        var wantedStreams = Describe(next.Config.Passthrough.Streams);
        if (runningStreams != wantedStreams)
        {
            Log.ListenersNeedRestart(_logger, "streams " + runningStreams, "streams " + wantedStreams);
        }

        if (current.Config.Admin.Listen != next.Config.Admin.Listen)
        {
            Log.ListenersNeedRestart(_logger, $"admin {current.Config.Admin.Listen?.ToString() ?? "off"}", $"admin {next.Config.Admin.Listen?.ToString() ?? "off"}");
            next = new GatewaySnapshot(next.Generation, next.Config with { Admin = next.Config.Admin with { Listen = current.Config.Admin.Listen } }, next.Certificates, next.Proxy);
        }

        if (running.Https == wanted.Https && running.Http == wanted.Http)
        {
            return next;
        }

        Log.ListenersNeedRestart(_logger, $"{running.Https} / {running.Http?.ToString() ?? "off"}", $"{wanted.Https} / {wanted.Http?.ToString() ?? "off"}");
        var config = next.Config with { Listeners = wanted with { Https = running.Https, Http = running.Http } };
        return new GatewaySnapshot(next.Generation, config, next.Certificates, next.Proxy);
    }

    private static string Describe(IReadOnlyDictionary<string, StreamConfig> streams) =>
        string.Join(", ", streams.Values.OrderBy(s => s.StreamId, StringComparer.Ordinal).Select(s => $"{s.StreamId}={s.Listen}"));

    private void ScheduleRemovedRouteClose(GatewaySnapshot previous, GatewaySnapshot next)
    {
        var removed = previous.Config.Passthrough.Routes.Keys.Where(id => !next.Config.Passthrough.Routes.ContainsKey(id))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (next.Config.Reload.CloseRemovedAfter is not { } grace || removed.Count == 0)
        {
            return;
        }

        // Checked again when the grace period ends: a route added back in the meantime keeps its tunnels.
        _ = Task.Delay(grace, _time).ContinueWith(
            _ =>
            {
                var closed = _tunnels.CloseTunnels(
                    routeId => removed.Contains(routeId) && !_store.Current.Config.Passthrough.Routes.ContainsKey(routeId), TunnelEnd.RouteRemoved);
                if (closed > 0)
                {
                    Log.ClosedRemoved(_logger, closed);
                }
            },
            TaskScheduler.Default);
    }

    /// <summary>
    /// The content of the config file and of every certificate file it names: saving the file unchanged after
    /// renewing a certificate reloads the certificates. Contents, not sizes and times: behind a Kubernetes Secret
    /// mount tls.crt is a symlink whose own metadata never changes when the data behind it is swapped.
    /// </summary>
    private byte[]? HashFile()
    {
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(File.ReadAllBytes(_commandLine.ConfigFile));
            foreach (var path in CertificateFiles(_store.Current))
            {
                // Certificate files are a few kilobytes: hashing them on each event costs nothing worth avoiding.
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path + "|"));
                hash.AppendData(File.Exists(path) ? SHA256.HashData(File.ReadAllBytes(path)) : [0]);
            }

            return hash.GetHashAndReset();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Configuration generation {Generation} applied from {ConfigFile}", EventName = "ConfigApplied")]
        public static partial void Applied(ILogger logger, int generation, string configFile);

        [LoggerMessage(2, LogLevel.Error, "Configuration in {ConfigFile} rejected; generation {Generation} keeps serving. {Count} error(s):\n{Errors}", EventName = "ConfigRejected")]
        public static partial void Rejected(ILogger logger, string configFile, int generation, int count, string errors);

        [LoggerMessage(3, LogLevel.Warning, "Listener addresses changed from {Running} to {Wanted}: this needs a restart; the running listeners stay, the rest of the change is applied", EventName = "ListenersNeedRestart")]
        public static partial void ListenersNeedRestart(ILogger logger, string running, string wanted);

        [LoggerMessage(5, LogLevel.Error, "Reloading {ConfigFile} failed unexpectedly; the serving generation stays", EventName = "ReloadCrashed")]
        public static partial void ReloadCrashed(ILogger logger, string configFile, Exception exception);

        [LoggerMessage(4, LogLevel.Information, "Closed {Count} tunnel(s) of passthrough routes removed by a reload", EventName = "RemovedRouteTunnelsClosed")]
        public static partial void ClosedRemoved(ILogger logger, int count);
    }
}
