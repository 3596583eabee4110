namespace Gateway.Configuration;

/// <summary>
/// Reads a file the configuration names and Gateway reads whole: the config file, a certificate or key file. Only a
/// regular file is opened: a named pipe would hold the open until some writer came (and every later reload behind it),
/// a device such as <c>/dev/zero</c> would never end. Both report a length of 0 and read here as empty, unopened, as
/// does an empty file; a file above the bound is refused before it is read.
/// </summary>
internal static class SmallFile
{
    /// <summary>Empty for an empty file, a pipe or a device (behind any symlinks); the content otherwise.</summary>
    /// <exception cref="FileTooLargeException">More than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="IOException">Cannot be read (missing, a folder, permissions: as <see cref="File.ReadAllBytes"/> says).</exception>
    /// <exception cref="UnauthorizedAccessException">Cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, int maxBytes)
    {
        FileSystemInfo target = new FileInfo(path);
        if (target.LinkTarget is not null)
        {
            target = File.ResolveLinkTarget(path, returnFinalTarget: true) ?? target;
        }

        if (target is FileInfo { Exists: true } file)
        {
            if (file.Length == 0)
            {
                return [];
            }

            if (file.Length > maxBytes)
            {
                throw new FileTooLargeException(path, maxBytes);
            }
        }

        // The file may have been replaced since: still read no more than the bound.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        for (int read; (read = stream.Read(chunk)) > 0;)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw new FileTooLargeException(path, maxBytes);
            }
        }

        return buffer.ToArray();
    }
}
