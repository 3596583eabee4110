using Gateway.Diagnostics;
namespace Gateway.Configuration;

/// <summary>
/// Watches the folders of a set of files (the config file and the certificate files it names), so an edit, a
/// certificate renewed on disk by another tool (certbot), or a swapped Kubernetes mount is noticed.
/// </summary>
internal sealed partial class FileChangeWatcher(Action changed, ILogger logger) : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private HashSet<string> _files = new(StringComparer.Ordinal);

    /// <summary>Each watched folder, with its creation time: a folder deleted and made again under its name is another one.</summary>
    private Dictionary<string, DateTime> _folders = new(StringComparer.Ordinal);

    /// <summary>
    /// Replaces the watched set; cheap when the files and their folders are unchanged. A set that could not be watched
    /// is tried again on the next call. A folder that does not exist (deleted, to be written anew) is watched through
    /// its nearest parent that does, so its return is noticed and the files in it are watched again.
    /// </summary>
    /// <param name="afresh">
    /// Start the watches again even if the set is unchanged: a folder deleted and created again under the same name
    /// is another folder, which the old watch does not see.
    /// </param>
    /// <returns>True when the watches were started afresh: a change since the caller last read the files may have raised no event.</returns>
    public bool Watch(IEnumerable<string> paths, bool afresh = false)
    {
        var files = paths.SelectMany(p => LinkChain(Path.GetFullPath(p))).ToHashSet(StringComparer.Ordinal);
        var folders = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        var awaited = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var folder = Path.GetDirectoryName(file);
            while (folder is not null && !Directory.Exists(folder))
            {
                awaited.Add(folder);
                folder = Path.GetDirectoryName(folder);
            }

            if (folder is not null)
            {
                folders[folder] = Directory.GetCreationTimeUtc(folder);
            }
        }

        lock (_watchers)
        {
            // A folder replaced (deleted and made again, as some deploy tools do) took its watch with it.
            if (!afresh && files.SetEquals(_files) && folders.Count == _folders.Count
                && folders.All(f => _folders.TryGetValue(f.Key, out var created) && created == f.Value))
            {
                return false;
            }

            StopAll();
            _files = new(StringComparer.Ordinal);
            _folders = new(StringComparer.Ordinal);
            try
            {
                foreach (var folder in folders.Keys)
                {
                    try
                    {
                        _watchers.Add(Start(folder, files, awaited));
                    }
                    catch (Exception e) when (e is ArgumentException or DirectoryNotFoundException)
                    {
                        // Gone since it was seen (a Kubernetes mount's previous data folder): nothing left there to watch.
                    }
                }
            }
            catch (IOException e)
            {
                // Typically the inotify watch or instance limit: edits go unnoticed until the next reload, but serving goes on.
                StopAll();
                Log.WatchFailed(logger, string.Join(", ", files), e.Message);
                return true;
            }

            _files = files;
            _folders = folders;
            return true;
        }
    }

    /// <summary>
    /// The path and every symlink it leads through to the file, so a file replaced where the link points is noticed
    /// too: <c>/etc/gateway/tls.crt</c> linked to certbot's <c>live/</c> link, which certbot points at the next
    /// <c>archive/</c> file; a config file linked into a repository checkout edited there.
    /// </summary>
    private static IEnumerable<string> LinkChain(string path)
    {
        yield return path;
        for (var hops = 0; hops < 40; hops++)
        {
            string? target;
            try
            {
                var info = new FileInfo(path);
                target = info.LinkTarget is null ? null : Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(path)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                yield break;
            }

            if (target is null)
            {
                yield break;
            }

            path = target;
            yield return path;
        }
    }

    public void Dispose()
    {
        lock (_watchers)
        {
            StopAll();
            _files = new(StringComparer.Ordinal);
            _folders = new(StringComparer.Ordinal);
        }
    }

    /// <param name="awaited">Folders that do not exist yet: one appearing (created or renamed into place) is a change.</param>
    private FileSystemWatcher Start(string folder, HashSet<string> files, HashSet<string> awaited)
    {
        var watcher = new FileSystemWatcher(folder)
        {
            // DirectoryName: a watched file's folder that comes back after it was deleted.
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        FileSystemEventHandler handler = (_, e) =>
        {
            // Kubernetes updates a mounted ConfigMap or Secret by swapping its "..data" symlink, never touching the file's own name.
            if (files.Contains(e.FullPath) || awaited.Contains(e.FullPath) || e.Name == "..data" || (e is RenamedEventArgs renamed && files.Contains(renamed.OldFullPath)))
            {
                changed();
            }
        };
        watcher.Changed += handler;
        watcher.Created += handler;
        watcher.Deleted += handler;
        watcher.Renamed += (sender, e) => handler(sender, e);
        try
        {
            watcher.EnableRaisingEvents = true;
        }
        catch
        {
            watcher.Dispose();
            throw;
        }

        return watcher;
    }

    private void StopAll()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.WatchFailed, LogLevel.Warning, "Cannot watch {Files} for changes ({Reason}); the running configuration keeps serving, edits are not noticed until the next reload tries again. On Linux, raise fs.inotify.max_user_watches or max_user_instances", EventName = "WatchFailed")]
        public static partial void WatchFailed(ILogger logger, string files, string reason);
    }
}
