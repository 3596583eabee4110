using System.Buffers.Binary;
using System.Threading.Channels;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Keeps a certificate for every host set ACME is responsible for: loads the stored ones at start, orders the
/// missing ones, renews each when a third of its lifetime remains (or Gateway:Acme:RenewBefore), and backs
/// off after failures. Runs in the background: startup never waits for a CA, and a failed renewal leaves the
/// working certificate serving.
/// </summary>
/// <remarks>
/// Instances sharing the store act as one: an order runs under the host set's lock in the store (<see cref="AcmeLocks"/>),
/// and whoever takes it reads the store again first, so a renewal another instance just made is picked up instead of
/// repeated; an instance that finds the lock held waits and looks again. Certificates another instance stores are
/// picked up (<see cref="AcmeStoreWatcher"/>) once they pass <see cref="Acceptable"/>.
/// </remarks>
internal sealed partial class AcmeCertificateManager : BackgroundService
{
    /// <summary>Even with nothing due, look again this often: a clock jump or a removed file should not go unnoticed for long.</summary>
    private static readonly TimeSpan MaxSleep = TimeSpan.FromHours(1);

    private readonly GenerationStore _generations;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ManagedCertificates _managed;
    private readonly AcmeOrderer _orderer;
    private readonly GatewayMetrics _metrics;
    private readonly AcmeChallengeResponses _responses;
    private readonly AcmeInstance _instance;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, AcmeHostSetStatus> _status = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly Lock _pickup = new();
    private AcmeStorage? _storage;
    private AcmeStoreWatcher? _watcher;
    private IReadOnlyList<AcmeLockInfo> _holders = [];
    private AcmeClient? _client;
    private (string, Uri, string?) _clientConfig;

    public AcmeCertificateManager(GenerationStore generations, IHostApplicationLifetime lifetime, ManagedCertificates managed, AcmeOrderer orderer,
        GatewayMetrics metrics, AcmeChallengeResponses responses, AcmeInstance instance, TimeProvider time, ILogger<AcmeCertificateManager> logger)
    {
        _generations = generations;
        _lifetime = lifetime;
        _managed = managed;
        _orderer = orderer;
        _metrics = metrics;
        _responses = responses;
        _instance = instance;
        _time = time;
        _logger = logger;
        generations.Published += (_, _) => _wake.Writer.TryWrite(true);
    }

    /// <summary>A copy of every host set's standing, for the stats page.</summary>
    public IReadOnlyList<AcmeHostSetStatus> Status
    {
        get
        {
            lock (_status)
            {
                return [.. _status.Values];
            }
        }
    }

    /// <summary>This instance, as locks and certificate records name it.</summary>
    public string Instance => _instance.Id;

    /// <summary>Who holds which lock in the store, as last read (every rescan, and around this instance's own orders).</summary>
    public IReadOnlyList<AcmeLockInfo> LockHolders => Volatile.Read(ref _holders);

    public override void Dispose()
    {
        _watcher?.Dispose();
        _client?.Dispose();
        base.Dispose();
    }

    /// <summary>Stored certificates are served from the first handshake: loaded here, before the listeners are bound.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            Storage(_generations.Current);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Crashed(_logger, e); // the background loop tries again
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosted services start before Kestrel binds: a challenge opened now would be validated against a
        // listener that does not exist yet.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (_lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            try
            {
                await started.Task.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan sleep;
            try
            {
                sleep = await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage trouble (disk full, unreadable key): say so and try again later; never stop the gateway.
                Log.Crashed(_logger, e);
                _metrics.InternalError(InternalErrors.Acme);
                sleep = TimeSpan.FromMinutes(5);
            }

            await SleepAsync(sleep, stoppingToken);
        }
    }

    private async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        var generation = _generations.Current;
        var config = generation.Get<AcmeConfig>();
        var storage = Storage(generation);
        if (!config.Enabled)
        {
            return MaxSleep;
        }

        if (!config.AcceptTermsOfService)
        {
            ReportOnce($"tos:{generation.Number}", () => Log.TermsNotAccepted(_logger, config.Directory));
            return MaxSleep;
        }

        var challenges = config.Challenges.Where(c => c != AcmeChallengeType.Http01 || generation.Get<ListenersConfig>().Http is not null).ToList();
        var sets = AcmeHostSets.Compute(generation, (host, reason) => ReportOnce($"skip:{host}:{reason}", () => Log.Skipped(_logger, host, reason)));
        var statuses = Track(sets);
        var next = _time.GetUtcNow() + MaxSleep;
        foreach (var status in statuses)
        {
            var now = _time.GetUtcNow();
            var due = RenewalDue(status.Hosts, config, now);
            if (due > now)
            {
                next = Min(next, due);
                continue;
            }

            if (status.NotBefore > now)
            {
                next = Min(next, status.NotBefore);
                continue;
            }

            await OrderAsync(status, config, challenges, storage, cancellationToken);
            var renewal = RenewalDue(status.Hosts, config, _time.GetUtcNow());
            next = Min(next, status.NotBefore > renewal ? status.NotBefore : renewal);
        }

        var wait = next - _time.GetUtcNow();
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    private async Task OrderAsync(AcmeHostSetStatus status, AcmeConfig config, List<AcmeChallengeType> challenges, AcmeStorage storage, CancellationToken cancellationToken)
    {
        var hosts = string.Join(", ", status.Hosts);
        // Another instance may have renewed since the last rescan: read the store before taking any lock.
        Pickup(storage);
        var now = _time.GetUtcNow();
        if (RenewalDue(status.Hosts, config, now) > now)
        {
            return;
        }

        AcmeLease? lease;
        try
        {
            lease = storage.Locks.TryAcquire(AcmeStorage.FileName(status.Hosts), out var holder);
            if (lease is null)
            {
                status.HeldElsewhere(holder!, _time.GetUtcNow(), LookAgain(storage));
                ReportOnce($"held:{holder!.Key}:{holder.Generation}", () => Log.HeldElsewhere(_logger, hosts, holder.Owner, holder.Expires));
                RefreshHolders(storage);
                return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Failed(status, hosts, Best(status.Hosts), e);
            return;
        }

        await using (lease)
        {
            RefreshHolders(storage);
            // Under the lock, once more: the previous holder may have stored its certificate between the look above and the lock.
            Pickup(storage);
            now = _time.GetUtcNow();
            if (RenewalDue(status.Hosts, config, now) > now)
            {
                RefreshHolders(storage);
                return;
            }

            await OrderLockedAsync(status, hosts, config, challenges, storage, lease, cancellationToken);
        }

        RefreshHolders(storage);
    }

    private async Task OrderLockedAsync(AcmeHostSetStatus status, string hosts, AcmeConfig config, List<AcmeChallengeType> challenges, AcmeStorage storage,
        AcmeLease lease, CancellationToken cancellationToken)
    {
        var existing = Best(status.Hosts);
        status.Ordering = true;
        status.Holding(lease.Info);
        // The order stops when the lease is lost: another instance is ordering by then.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lease.Lost);
        try
        {
            // A new storage (with its own account key), directory or trust file: start over with a client (and
            // account lookup) for it. Email is not part of this: the CA sends it only when the account is created,
            // and looking the existing account up again would not change its contact.
            var clientConfig = (storage.Root, config.Directory, config.DirectoryTrustPath);
            if (_client is null || _clientConfig != clientConfig)
            {
                if (await storage.LoadOrCreateAccountKeyAsync() is not { } accountKey)
                {
                    status.HeldElsewhere(storage.Locks.Holders().FirstOrDefault(h => h.Key == AcmeStorage.AccountLock)
                        ?? new AcmeLockInfo(AcmeStorage.AccountLock, 0, "(another instance)", _time.GetUtcNow(), _time.GetUtcNow(), false), _time.GetUtcNow(), LookAgain(storage));
                    return;
                }

                _client?.Dispose();
                _client = new AcmeClient(config, accountKey, _time);
                _clientConfig = clientConfig;
            }

            // Logged here, once the CA is about to be asked: an instance that finds the account still being created
            // elsewhere steps back above, and its operator must not read an order that was never placed.
            Log.Ordering(_logger, hosts, existing is null ? "no certificate yet" : $"renewing the certificate expiring {existing.NotAfter:u}");
            var (chain, key) = await _orderer.OrderAsync(_client, config, status.Hosts, challenges, linked.Token);
            StoredCertificate issued;
            lock (_pickup)
            {
                issued = storage.Save(status.Hosts, chain, key, _instance.Id, _time.GetUtcNow());
                // Only what the new certificate fully replaces goes: an older one that also covers other hosts keeps serving them.
                _managed.Replace([.. _managed.All.Where(c => !issued.Covers(c.Hosts) || c.NotAfter > issued.NotAfter), issued], _generations.Current.Get<TlsConfig>());
            }

            status.Succeeded(_time.GetUtcNow());
            _metrics.AcmeOrdered(AcmeOutcomes.Issued);
            Log.Issued(_logger, hosts, issued.NotAfter);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(status, hosts, existing, lease.Lost.IsCancellationRequested ? new AcmeException("the lock in the store was lost (this instance stalled past its lease, or the store failed); another instance may be ordering", e) : e);
        }
        finally
        {
            status.Ordering = false;
            status.Holding(null);
        }
    }

    private void Failed(AcmeHostSetStatus status, string hosts, StoredCertificate? existing, Exception e)
    {
        var retryAfter = (e as AcmeException)?.RetryAfter;
        status.Failed(_time.GetUtcNow(), e.Message, retryAfter);
        _metrics.AcmeOrdered(AcmeOutcomes.Failed);
        Log.Failed(_logger, hosts, status.Failures, status.NotBefore, existing is null ? "the self-signed fallback serves until then" : "the current certificate keeps serving", e.Message);
    }

    /// <summary>When a lock held elsewhere is looked at again: soon, since its holder may finish (or die) at any time.</summary>
    private static TimeSpan LookAgain(AcmeStorage storage) => storage.Locks.Lease / 4;

    private void RefreshHolders(AcmeStorage storage)
    {
        try
        {
            Volatile.Write(ref _holders, storage.Locks.Holders());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Shown as last read; the next rescan tries again.
        }
    }

    /// <summary>
    /// Reads the store and serves what another instance stored there, if it is acceptable. A certificate already
    /// served stays until a better one passes; a file that vanished or broke changes nothing.
    /// </summary>
    private void Pickup(AcmeStorage storage)
    {
        lock (_pickup)
        {
            var now = _time.GetUtcNow();
            var byPath = TrackedSets().ToDictionary(hosts => storage.PathOf(hosts), StringComparer.Ordinal);
            var served = _managed.All.ToList();
            var added = new List<StoredCertificate>();
            foreach (var candidate in storage.LoadAll((path, e) => ReportOnce($"unreadable:{path}:{File.GetLastWriteTimeUtc(path).Ticks}", () => Log.Unreadable(_logger, path, e.Message))))
            {
                var thumbprint = candidate.Context.TargetCertificate.Thumbprint;
                if (served.Any(c => c.Context.TargetCertificate.Thumbprint == thumbprint))
                {
                    continue;
                }

                if (Acceptable(candidate, candidate.SourcePath is { } path ? byPath.GetValueOrDefault(path) : null, now) is { } reason)
                {
                    ReportOnce($"refused:{thumbprint}", () => Log.Refused(_logger, candidate.SourcePath ?? "", reason));
                    continue;
                }

                served = [.. served.Where(c => !candidate.Covers(c.Hosts) || c.NotAfter > candidate.NotAfter), candidate];
                added.Add(candidate);
            }

            if (added.Count > 0)
            {
                _managed.Replace(served, _generations.Current.Get<TlsConfig>());
                foreach (var certificate in added)
                {
                    Log.PickedUp(_logger, string.Join(", ", certificate.Hosts.Order(StringComparer.Ordinal)), certificate.OrderedBy ?? "unknown", certificate.NotAfter);
                }

                _wake.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>Why a certificate found in the store must not be served; null when it may.</summary>
    /// <param name="hosts">The host set whose file it is, when it is one this instance tracks.</param>
    internal static string? Acceptable(StoredCertificate candidate, IReadOnlyList<string>? hosts, DateTimeOffset now) =>
        candidate.NotAfter <= now ? $"it expired at {candidate.NotAfter:u}"
        : candidate.NotBefore > now + TimeSpan.FromHours(1) ? $"it is not valid before {candidate.NotBefore:u}"
        : hosts is not null && !candidate.Covers(hosts) ? $"it does not cover {string.Join(", ", hosts.Where(h => !candidate.Hosts.Contains(h)))}, which its file name stands for"
        : null;

    private List<IReadOnlyList<string>> TrackedSets()
    {
        lock (_status)
        {
            return [.. _status.Values.Select(s => s.Hosts)];
        }
    }

    private void Rescan()
    {
        if (Volatile.Read(ref _storage) is not { } storage)
        {
            return;
        }

        try
        {
            Pickup(storage);
            RefreshHolders(storage);
            // An instance killed mid-order leaves its answers; they are worthless once the CA has settled the authorization.
            storage.Challenges.RemoveAbandoned(TimeSpan.FromHours(1));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.RescanFailed(_logger, storage.CertificatesFolder, e.Message);
        }
        catch (Exception e)
        {
            Log.Crashed(_logger, e);
            _metrics.InternalError(InternalErrors.Acme);
        }
    }

    /// <summary>When the certificate covering <paramref name="hosts"/> should be renewed; <paramref name="now"/> when there is none.</summary>
    /// <remarks>
    /// The caller's own reading of the clock, never a second one: "due at a later reading than mine" made a set without a
    /// certificate look not yet due, and the loop went round without sleeping until two readings fell on one tick (under
    /// load, for longer than a minute, at a full core).
    /// </remarks>
    private DateTimeOffset RenewalDue(IReadOnlyList<string> hosts, AcmeConfig config, DateTimeOffset now)
    {
        if (Best(hosts) is not { } certificate)
        {
            return now;
        }

        var lifetime = certificate.NotAfter - certificate.NotBefore;
        // Never more than half the lifetime: a RenewBefore as long as the certificate lives would renew it at once, forever.
        var before = config.RenewBefore ?? lifetime / 3;
        if (before > lifetime / 2)
        {
            before = lifetime / 2;
        }
        // Spread renewals of certificates issued together over a tenth of the renewal window, stably per set (across
        // restarts too, which string.GetHashCode is not).
        var spread = before / 10 * (BinaryPrimitives.ReadUInt32LittleEndian(AcmeStorage.HostSetDigest(hosts)) % 1000 / 1000.0);
        return certificate.NotAfter - before - spread;
    }

    private StoredCertificate? Best(IReadOnlyList<string> hosts) =>
        _managed.All.Where(c => c.Covers(hosts)).MaxBy(c => c.NotAfter);

    /// <summary>The storage for the serving CA; switching CA (staging to production) loads that CA's certificates instead.</summary>
    private AcmeStorage Storage(Generation generation)
    {
        var config = generation.Get<AcmeConfig>();
        if (_storage is { } current && current.Locks.Lease == config.LockLease
            && current.Root == AcmeStorage.RootOf(generation.Get<CertificatesConfig>().Path, config.Directory))
        {
            return current;
        }

        var storage = new AcmeStorage(generation.Get<CertificatesConfig>().Path, config.Directory, _instance.Id, config.LockLease, _time);
        if (_storage?.Root != storage.Root)
        {
            lock (_pickup)
            {
                var loaded = storage.LoadAll((path, e) => Log.Unreadable(_logger, path, e.Message));
                _managed.Replace(loaded, generation.Get<TlsConfig>());
                if (loaded.Count > 0)
                {
                    Log.Loaded(_logger, loaded.Count, storage.CertificatesFolder);
                }
            }

            _watcher?.Dispose();
            _watcher = new AcmeStoreWatcher(storage.CertificatesFolder, _time, Rescan, e => Log.Unwatched(_logger, storage.CertificatesFolder, e.Message));
        }

        _responses.Store = storage.Challenges;
        Volatile.Write(ref _storage, storage);
        RefreshHolders(storage);
        return storage;
    }

    private List<AcmeHostSetStatus> Track(List<IReadOnlyList<string>> sets)
    {
        lock (_status)
        {
            var wanted = sets.ToDictionary(s => string.Join(",", s), StringComparer.Ordinal);
            foreach (var key in _status.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
            {
                _status.Remove(key);
            }

            return [.. wanted.Select(w => _status.TryGetValue(w.Key, out var status) ? status : _status[w.Key] = new AcmeHostSetStatus(w.Value))];
        }
    }

    private async Task SleepAsync(TimeSpan sleep, CancellationToken stoppingToken)
    {
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var delay = Task.Delay(sleep, _time, wake.Token);
        var signal = _wake.Reader.WaitToReadAsync(wake.Token).AsTask();
        await Task.WhenAny(delay, signal);
        await wake.CancelAsync();
        _wake.Reader.TryRead(out _);
    }

    private void ReportOnce(string key, Action log)
    {
        bool first;
        lock (_reported)
        {
            first = _reported.Add(key);
        }

        if (first)
        {
            log();
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(LogEvents.AcmeOrdering, LogLevel.Information, "ACME: ordering a certificate for {Hosts} ({Why})", EventName = "AcmeOrdering")]
        public static partial void Ordering(ILogger logger, string hosts, string why);

        [LoggerMessage(LogEvents.AcmeIssued, LogLevel.Information, "ACME: certificate for {Hosts} issued, valid until {NotAfter:u}", EventName = "AcmeIssued")]
        public static partial void Issued(ILogger logger, string hosts, DateTimeOffset notAfter);

        [LoggerMessage(LogEvents.AcmeFailed, LogLevel.Error, "ACME: ordering for {Hosts} failed ({Failures} in a row); next attempt at {NotBefore:u}, {Meanwhile}. {Reason}", EventName = "AcmeFailed")]
        public static partial void Failed(ILogger logger, string hosts, int failures, DateTimeOffset notBefore, string meanwhile, string reason);

        [LoggerMessage(LogEvents.AcmeTermsNotAccepted, LogLevel.Warning, "ACME is enabled but Gateway:Acme:AcceptTermsOfService is not true: no certificate will be ordered until you have read and accepted the terms of service of {Directory}", EventName = "AcmeTermsNotAccepted")]
        public static partial void TermsNotAccepted(ILogger logger, Uri directory);

        [LoggerMessage(LogEvents.AcmeHostSkipped, LogLevel.Information, "ACME: no certificate will be ordered for {Host}: {Reason}", EventName = "AcmeHostSkipped")]
        public static partial void Skipped(ILogger logger, string host, string reason);

        [LoggerMessage(LogEvents.AcmeLoaded, LogLevel.Information, "ACME: loaded {Count} stored certificate(s) from {Folder}", EventName = "AcmeLoaded")]
        public static partial void Loaded(ILogger logger, int count, string folder);

        [LoggerMessage(LogEvents.AcmeUnreadable, LogLevel.Warning, "ACME: skipping the stored certificate {Path}: {Reason}", EventName = "AcmeUnreadable")]
        public static partial void Unreadable(ILogger logger, string path, string reason);

        [LoggerMessage(LogEvents.AcmeLockHeldElsewhere, LogLevel.Information, "ACME: {Hosts} is being ordered by {Owner} (its lock in the store runs until {Expires:u}); this instance serves that certificate once stored, or takes over if the lock runs out", EventName = "AcmeLockHeldElsewhere")]
        public static partial void HeldElsewhere(ILogger logger, string hosts, string owner, DateTimeOffset expires);

        [LoggerMessage(LogEvents.AcmePickedUp, LogLevel.Information, "ACME: serving the certificate for {Hosts} that {OrderedBy} stored, valid until {NotAfter:u}", EventName = "AcmePickedUp")]
        public static partial void PickedUp(ILogger logger, string hosts, string orderedBy, DateTimeOffset notAfter);

        [LoggerMessage(LogEvents.AcmeStoredRefused, LogLevel.Warning, "ACME: not serving {Path} from the store: {Reason}; the current certificate keeps serving", EventName = "AcmeStoredRefused")]
        public static partial void Refused(ILogger logger, string path, string reason);

        [LoggerMessage(LogEvents.AcmeStoreUnwatched, LogLevel.Warning, "ACME: cannot watch {Folder} for changes ({Reason}); certificates other instances store there are picked up by the rescan every 30 s", EventName = "AcmeStoreUnwatched")]
        public static partial void Unwatched(ILogger logger, string folder, string reason);

        [LoggerMessage(LogEvents.AcmeRescanFailed, LogLevel.Warning, "ACME: cannot read the store {Folder}: {Reason}; the certificates being served keep serving", EventName = "AcmeRescanFailed")]
        public static partial void RescanFailed(ILogger logger, string folder, string reason);

        [LoggerMessage(LogEvents.AcmeCrashed, LogLevel.Error, "ACME: certificate management failed (stored certificates or account key unreadable, or a bug); it tries again within 5 minutes", EventName = "AcmeCrashed")]
        public static partial void Crashed(ILogger logger, Exception exception);
    }
}
