namespace Gateway.Certificates.Acme;

/// <summary>
/// Tells the certificate manager when the store's certificates may have changed: at once when the file system
/// reports a change (inotify, on one machine), and every <see cref="RescanInterval"/> regardless, because NFS and
/// most network file systems report nothing written by another machine.
/// </summary>
internal sealed class AcmeStoreWatcher : IDisposable
{
    /// <summary>The longest an instance serves an older certificate after another instance stored a new one, without notifications.</summary>
    public static readonly TimeSpan RescanInterval = TimeSpan.FromSeconds(30);

    private readonly Action _changed;
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer _rescan;
    private int _pending;

    /// <param name="changed">Called on the thread pool; a burst of events makes one call, or two.</param>
    public AcmeStoreWatcher(string folder, TimeProvider time, Action changed, Action<Exception> unwatchable)
    {
        _changed = changed;
        try
        {
            Directory.CreateDirectory(folder);
            _watcher = new FileSystemWatcher(folder, "*.pem") { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
            _watcher.Created += (_, _) => Changed();
            _watcher.Changed += (_, _) => Changed();
            _watcher.Renamed += (_, _) => Changed();
            // Too many events at once: the listing is read again anyway.
            _watcher.Error += (_, _) => Changed();
            _watcher.EnableRaisingEvents = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or PlatformNotSupportedException)
        {
            // No inotify watches left, or a folder that cannot be watched: the periodic rescan still picks changes up.
            _watcher?.Dispose();
            _watcher = null;
            unwatchable(e);
        }

        _rescan = time.CreateTimer(_ => Changed(), null, RescanInterval, RescanInterval);
    }

    public void Dispose()
    {
        _rescan.Dispose();
        _watcher?.Dispose();
    }

    /// <summary>Coalesces a burst of events (a write is a create and a rename) into one rescan, run on the thread pool.</summary>
    private void Changed()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                Volatile.Write(ref _pending, 0);
                _changed();
            }, null);
        }
    }
}
