using System.Globalization;
using System.Text.Json;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Leases in the shared store, so that instances sharing <c>Gateway:Certificates:Path</c> order one host set (or create
/// the account) one at a time, with nothing but the file system: no flock (unreliable on NFS), only exclusive create
/// (O_CREAT|O_EXCL, which NFS v3 and v4 perform on the server) and rename.
/// </summary>
/// <remarks>
/// <para>
/// A lock is a series of files <c>locks/{key}.{generation}.lock</c>; the highest generation is the lock's state. To take
/// the lock, an instance reads the highest generation g: held and within its lease, it waits; released, or stale (its
/// expiry plus a quarter of the lease for clock skew has passed: a crashed holder), it creates g+1 exclusively. Two
/// instances racing for the same free or stale lock both try to create the same g+1, and the file system lets exactly
/// one succeed. Nothing is ever deleted or renamed over another instance's file, which is what makes a takeover
/// safe: a "delete the stale file, create mine" dance can delete a file a faster racer has just created.
/// </para>
/// <para>
/// The holder renews its own file (a temporary file renamed over it, so a reader never sees half a lease) every
/// third of the lease, and gives the lock up when it finds g+1 exists (it was frozen past its lease and taken over).
/// A file too fresh to be complete (created, not yet written) counts as held until its modification time plus the
/// lease. Generations more than a day past their expiry and below the last two are deleted by the next holder: a
/// directory listing, however stale, still shows one of the last two, from which the highest is found by name.
/// </para>
/// </remarks>
internal sealed class AcmeLocks(string folder, string owner, TimeProvider time, TimeSpan lease)
{
    private const string Suffix = ".lock";
    private static readonly TimeSpan KeepExpired = TimeSpan.FromDays(1);

    public string Folder { get; } = folder;

    public string Owner { get; } = owner;

    public TimeSpan Lease { get; } = lease;

    /// <summary>Clocks of instances may disagree by this much; a lease counts as expired only this long after its expiry.</summary>
    public TimeSpan SkewMargin => Lease / 4;

    /// <summary>The lock <paramref name="key"/>, or null with the current holder when another instance holds it.</summary>
    /// <exception cref="IOException">The store cannot be written.</exception>
    public AcmeLease? TryAcquire(string key, out AcmeLockInfo? holder)
    {
        Directory.CreateDirectory(Folder);
        var (generation, current) = Current(key);
        if (current is not null && IsLive(current))
        {
            holder = current;
            return null;
        }

        var next = generation + 1;
        var now = time.GetUtcNow();
        var mine = new AcmeLockInfo(key, next, Owner, now, now + Lease, false);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFile.WorldReadable;
            }

            using var stream = new FileStream(PathOf(key, next), options);
            JsonSerializer.Serialize(stream, mine, AcmeJson.Default.AcmeLockInfo);
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(PathOf(key, next)))
        {
            // Another instance created this generation first: it holds the lock.
            holder = Read(key, next) ?? new AcmeLockInfo(key, next, "(being written)", now, now + Lease, false);
            return null;
        }

        DeleteOld(key, next);
        holder = null;
        return new AcmeLease(this, mine, time);
    }

    /// <summary>The live holder of every lock in the store, for /stats.</summary>
    public List<AcmeLockInfo> Holders()
    {
        var holders = new List<AcmeLockInfo>();
        if (!Directory.Exists(Folder))
        {
            return holders;
        }

        foreach (var key in Directory.EnumerateFiles(Folder, "*" + Suffix).Select(p => Parse(Path.GetFileName(p))).OfType<(string Key, long)>().Select(p => p.Key).Distinct(StringComparer.Ordinal))
        {
            if (Current(key).Info is { } info && IsLive(info))
            {
                holders.Add(info);
            }
        }

        return holders;
    }

    /// <summary>Whether <paramref name="info"/> still holds its lock, as far as this instance's clock can tell.</summary>
    public bool IsLive(AcmeLockInfo info) => !info.Released && time.GetUtcNow() <= info.Expires + SkewMargin;

    /// <summary>Writes the holder's file again, through a temporary file and a rename (only ever over its own file).</summary>
    internal void Write(AcmeLockInfo info)
    {
        var path = PathOf(info.Key, info.Generation);
        PrivateFile.WriteAtomically(path, JsonSerializer.Serialize(info, AcmeJson.Default.AcmeLockInfo), PrivateFile.WorldReadable);
    }

    /// <summary>Whether the generation after <paramref name="info"/>'s exists: someone took the lock over.</summary>
    internal bool Superseded(AcmeLockInfo info) => File.Exists(PathOf(info.Key, info.Generation + 1));

    /// <summary>The highest generation of <paramref name="key"/> (-1 when none) and what its file says.</summary>
    private (long Generation, AcmeLockInfo? Info) Current(string key)
    {
        var highest = -1L;
        foreach (var path in Directory.EnumerateFiles(Folder, key + ".*" + Suffix))
        {
            if (Parse(Path.GetFileName(path)) is { } parsed && parsed.Key == key && parsed.Generation > highest)
            {
                highest = parsed.Generation;
            }
        }

        // A listing may be stale (NFS caches directories for seconds): what exists is checked by name upward from it.
        while (File.Exists(PathOf(key, highest + 1)))
        {
            highest++;
        }

        if (highest < 0)
        {
            return (-1, null);
        }

        if (Read(key, highest) is { } info)
        {
            return (highest, info);
        }

        // Created and not written yet, or written by something that is not Gateway: held until a lease after it was
        // written. Its age is read on the wall clock (the file server's against ours), then counted on the injected one.
        var age = File.Exists(PathOf(key, highest)) ? DateTime.UtcNow - File.GetLastWriteTimeUtc(PathOf(key, highest)) : TimeSpan.Zero;
        var written = time.GetUtcNow() - (age > TimeSpan.Zero ? age : TimeSpan.Zero);
        return (highest, new AcmeLockInfo(key, highest, "(unreadable lock file)", written, written + Lease, false));
    }

    private AcmeLockInfo? Read(string key, long generation)
    {
        try
        {
            using var stream = File.OpenRead(PathOf(key, generation));
            if (stream.Length is 0 or > 4096)
            {
                return null;
            }

            var info = JsonSerializer.Deserialize(stream, AcmeJson.Default.AcmeLockInfo);
            return info is null || info.Owner is null ? null : info with { Key = key, Generation = generation };
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void DeleteOld(string key, long mine)
    {
        foreach (var path in Directory.EnumerateFiles(Folder, key + ".*" + Suffix))
        {
            if (Parse(Path.GetFileName(path)) is { } parsed && parsed.Key == key && parsed.Generation < mine - 1
                && (Read(key, parsed.Generation)?.Expires ?? DateTimeOffset.MaxValue) < time.GetUtcNow() - KeepExpired)
            {
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                    // Another holder cleaning up at the same time; the next one tries again.
                }
            }
        }
    }

    private string PathOf(string key, long generation) => Path.Combine(Folder, key + "." + generation.ToString(CultureInfo.InvariantCulture) + Suffix);

    private static (string Key, long Generation)? Parse(string fileName)
    {
        if (!fileName.EndsWith(Suffix, StringComparison.Ordinal))
        {
            return null;
        }

        var stem = fileName[..^Suffix.Length];
        var dot = stem.LastIndexOf('.');
        return dot > 0 && long.TryParse(stem.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var generation)
            ? (stem[..dot], generation)
            : null;
    }
}
