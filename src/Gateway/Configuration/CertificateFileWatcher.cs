namespace Gateway.Configuration;

/// <summary>
/// Watches the folders of the certificate files named in Gateway:Tls:Certificates, so a certificate renewed
/// on disk by another tool (certbot, a secret mount) is served without touching the config file.
/// </summary>
internal sealed class CertificateFileWatcher(Action changed) : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private HashSet<string> _files = new(StringComparer.Ordinal);

    /// <summary>Replaces the watched set; cheap when the files are unchanged.</summary>
    public void Watch(IReadOnlyList<CertificateFileConfig> certificates)
    {
        var files = certificates.SelectMany(c => new[] { c.CertificatePath, c.KeyPath }).ToHashSet(StringComparer.Ordinal);
        if (files.SetEquals(_files))
        {
            return;
        }

        Dispose();
        _files = files;
        foreach (var folder in files.Select(Path.GetDirectoryName).Distinct(StringComparer.Ordinal))
        {
            if (folder is null || !Directory.Exists(folder))
            {
                continue;
            }

            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            FileSystemEventHandler handler = (_, e) =>
            {
                // Kubernetes updates a mounted Secret by swapping its "..data" symlink, never touching tls.crt itself.
                if (_files.Contains(e.FullPath) || e.Name == "..data" || (e is RenamedEventArgs renamed && _files.Contains(renamed.OldFullPath)))
                {
                    changed();
                }
            };
            watcher.Changed += handler;
            watcher.Created += handler;
            watcher.Deleted += handler;
            watcher.Renamed += (sender, e) => handler(sender, e);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
    }
}
