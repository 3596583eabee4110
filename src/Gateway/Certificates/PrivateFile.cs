namespace Gateway.Certificates;

/// <summary>Writes files that must never be seen half-written or by other users (private keys).</summary>
internal static class PrivateFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Writes a temporary file with <paramref name="mode"/> from its creation, flushes it to disk, then renames it over <paramref name="path"/>.</summary>
    /// <remarks>
    /// The temporary name is new each time: several processes sharing a folder (instances sharing a certificate store)
    /// may write the same file at once, and with one shared temporary name one could rename the other's half-written file.
    /// It ends in ".tmp", so a reader listing "*.pem" never picks one up.
    /// </remarks>
    public static void WriteAtomically(string path, string content, UnixFileMode mode)
    {
        var temporary = path + "." + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6)) + ".tmp";
        // CreateNew: the create mode applies only to a new file, and the name is this writer's alone.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
                writer.Flush();
                // On disk before the rename: otherwise a power loss can leave the new name pointing at an empty file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary); // a full disk must not leave the half-written copy behind
            throw;
        }
    }
}
