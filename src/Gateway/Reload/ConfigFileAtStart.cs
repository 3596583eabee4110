using System.Security.Cryptography;
using Gateway.Configuration;

namespace Gateway.Reload;

/// <summary>
/// The config file's digest, read before the first generation is built from it. The reloader takes it for the applied
/// file, so a save made while the gateway starts, before the file is watched, differs from it and is applied.
/// </summary>
/// <param name="Digest">Null when the file could not be read then (the first reload reads it whatever it holds).</param>
internal sealed record ConfigFileAtStart(byte[]? Digest)
{
    public static ConfigFileAtStart Read(string file)
    {
        try
        {
            return new(DigestOf(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new((byte[]?)null);
        }
    }

    /// <summary>Bounded and never opening a pipe or a device, as the reload's own read: a digest that waited on a pipe would hold every reload.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read.</exception>
    public static byte[] DigestOf(string file) => SHA256.HashData(SmallFile.ReadAllBytes(file, ConfigSources.MaxFileBytes));
}
