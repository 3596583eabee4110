using System.Security.Cryptography;
using System.Threading.Channels;
using Gateway.Certificates;
using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Metrics;

namespace Gateway.Reload;

/// <summary>
/// Watches the config file (and the certificate files it names) and applies each saved edit as a new
/// generation: all of it or none of it.
/// A rejected file leaves the last good generation serving and says why; open tunnels never notice a reload.
/// </summary>
internal sealed partial class ConfigReloader : BackgroundService
{
    /// <summary>An editor's save is often several events (write temp, rename, touch): wait for quiet first.</summary>
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);

    private readonly ConfigLocation _location;
    private readonly GenerationFactory _factory;
    private readonly GenerationStore _store;
    private readonly IGenerationApplier[] _appliers;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly FileChangeWatcher _files;
    private byte[]? _appliedHash;

    /// <param name="appliers">In registration order: L7 first, then L4, so both serve the new generation within the same instant.</param>
    /// <param name="fileAtStart">The config file as it was before the first generation was built from it.</param>
    public ConfigReloader(ConfigLocation location, GenerationFactory factory, GenerationStore store, IEnumerable<IGenerationApplier> appliers,
        GatewayMetrics metrics, TimeProvider time, ILogger<ConfigReloader> logger, ConfigFileAtStart fileAtStart)
    {
        _location = location;
        _factory = factory;
        _store = store;
        _appliers = [.. appliers];
        _metrics = metrics;
        _time = time;
        _logger = logger;
        // Not the file as it is now: a save since the first generation was built would count as applied and be missed.
        _appliedHash = fileAtStart.Digest is { } digest ? HashFile(digest) : null;
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

        // A save between the first read and the watch raised no event: compare, now that any later one will.
        if (!Same(HashFile(), _appliedHash))
        {
            _changes.Writer.TryWrite(true);
        }

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
                    _store.Reject(new ReloadFailure(_time.GetUtcNow(), [new ConfigError(_location.File, "reload failed: " + e.Message)]));
                    _metrics.ConfigReloaded(ReloadOutcomes.Rejected);
                    Log.ReloadCrashed(_logger, _location.File, e);
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
        // The config file as this reload reads it: the certificates it names change with the generation, so the
        // comparison after the watches are renewed is of the file alone.
        var read = ConfigDigest();
        try
        {
            var hash = HashFile();
            if (Same(hash, _appliedHash) && _store.LastFailure is null)
            {
                return false;
            }

            var current = _store.Current;
            var (_, result) = await _factory.BuildAsync(_location, current.Number + 1, current);
            if (result.Generation is not { } next)
            {
                Reject(current, result.Errors);
                return false;
            }

            for (var i = 0; i < _appliers.Length; i++)
            {
                if (await _appliers[i].ApplyAsync(next, current) is { } refused)
                {
                    // The refusing applier too: YARP may hold part of what it was handed.
                    for (var j = i; j >= 0; j--)
                    {
                        await _appliers[j].RevertAsync(current);
                    }

                    Reject(current, [refused]);
                    return false;
                }
            }

            // Every value a follower reads was checked while the generation was built (the Logging section is bound
            // as logging binds it), so a follower failing here is a bug. It is still not a rejection: the generation is
            // serving from the moment it is published, and counting it rejected would say the edit is not live when it
            // is. So it is applied, and each failure is logged on its own and counted as an internal error.
            var failed = _store.Publish(next);
            _appliedHash = hash;
            _metrics.ConfigReloaded(ReloadOutcomes.Applied);
            Log.Applied(_logger, next.Number, _location.File);
            foreach (var (follower, exception) in failed)
            {
                _metrics.InternalError(InternalErrors.Reload);
                Log.FollowerFailed(_logger, next.Number, follower, exception);
            }
            foreach (var setting in result.RestartNeeded)
            {
                Log.RestartNeeded(_logger, setting);
            }

            LogWarnings(_logger, result.Warnings);

            return true;
        }
        finally
        {
            // After a failed reload too: a watch the inotify limit refused earlier is tried again. After a failed one the
            // watches start afresh (the file's folder may be gone, or already back as another folder). Watches started
            // afresh missed what changed since the read above: compare once more.
            if (Watch(_store.Current, afresh: _store.LastFailure is not null) && !Same(ConfigDigest(), read))
            {
                _changes.Writer.TryWrite(true);
            }

            _reloading.Release();
        }
    }

    /// <summary>Said at start and on every applied reload, so a certificate close to its end is noticed.</summary>
    public static void LogWarnings(ILogger logger, IReadOnlyList<ConfigError> warnings)
    {
        foreach (var warning in warnings)
        {
            Log.ConfigWarning(logger, warning.Path, warning.Message);
        }
    }

    private void Reject(Generation current, IReadOnlyList<ConfigError> problems)
    {
        _store.Reject(new ReloadFailure(_time.GetUtcNow(), problems));
        _metrics.ConfigReloaded(ReloadOutcomes.Rejected);
        Log.Rejected(_logger, _location.File, current.Number, problems.Count, string.Join(Environment.NewLine, problems.Select(p => "  " + p)));
    }

    private bool Watch(Generation generation, bool afresh = false) =>
        _files.Watch([_location.File, .. CertificateFiles(generation)], afresh);

    private static IEnumerable<string> CertificateFiles(Generation generation) =>
        generation.Get<TlsConfig>().Certificates.SelectMany(c => new[] { c.CertificatePath, c.KeyPath });

    /// <summary>The config file's digest; null when it cannot be read.</summary>
    private byte[]? ConfigDigest()
    {
        try
        {
            return ConfigFileAtStart.DigestOf(_location.File);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The content of the config file and of every certificate file it names: saving the file unchanged after
    /// renewing a certificate reloads the certificates. Contents, not sizes and times: behind a Kubernetes Secret
    /// mount tls.crt is a symlink whose own metadata never changes when the data behind it is swapped.
    /// </summary>
    /// <param name="configDigest">The config file's part, read earlier (<see cref="ConfigFileAtStart"/>); read now without it.</param>
    private byte[]? HashFile(byte[]? configDigest = null)
    {
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            hash.AppendData(configDigest ?? ConfigFileAtStart.DigestOf(_location.File));
            foreach (var path in CertificateFiles(_store.Current))
            {
                // Certificate files are a few kilobytes: hashing them on each event costs nothing worth avoiding.
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(path + "|"));
                hash.AppendData(File.Exists(path) ? SHA256.HashData(SmallFile.ReadAllBytes(path, PemCertificate.MaxFileBytes)) : [0]);
            }

            return hash.GetHashAndReset();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool Same(byte[]? hash, byte[]? other) => hash is not null && other is not null && hash.AsSpan().SequenceEqual(other);

    private static partial class Log
    {
        [LoggerMessage(LogEvents.ConfigApplied, LogLevel.Information, "Configuration generation {Generation} applied from {ConfigFile}", EventName = "ConfigApplied")]
        public static partial void Applied(ILogger logger, int generation, string configFile);

        [LoggerMessage(LogEvents.ConfigRejected, LogLevel.Error, "Configuration in {ConfigFile} rejected; generation {Generation} keeps serving. {Count} error(s):\n{Errors}", EventName = "ConfigRejected")]
        public static partial void Rejected(ILogger logger, string configFile, int generation, int count, string errors);

        [LoggerMessage(LogEvents.RestartNeeded, LogLevel.Warning, "{Setting}: this needs a restart; the running value stays, the rest of the change is applied", EventName = "RestartNeeded")]
        public static partial void RestartNeeded(ILogger logger, string setting);

        [LoggerMessage(LogEvents.ConfigWarning, LogLevel.Warning, "{Path}: {Message}", EventName = "ConfigWarning")]
        public static partial void ConfigWarning(ILogger logger, string path, string message);

        [LoggerMessage(LogEvents.FollowerFailed, LogLevel.Error, "Configuration generation {Generation} is serving, but {Follower} failed to follow it; what it governs may still follow the previous generation", EventName = "FollowerFailed")]
        public static partial void FollowerFailed(ILogger logger, int generation, string follower, Exception exception);

        [LoggerMessage(LogEvents.ReloadCrashed, LogLevel.Error, "Reloading {ConfigFile} failed unexpectedly; the serving generation stays", EventName = "ReloadCrashed")]
        public static partial void ReloadCrashed(ILogger logger, string configFile, Exception exception);
    }
}
