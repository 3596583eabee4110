using System.Collections;
using System.Net.Security;
using System.Reflection;

namespace Gateway.Certificates;

/// <summary>
/// .NET's process-wide cache of OpenSSL contexts (<c>SSL_CTX</c>), one per certificate chain and protocol set, which it
/// keeps for as long as it likes. A server context holds the keys that encrypt session tickets and the session cache,
/// so rotating them means dropping the server contexts from that cache: the next handshake builds new ones with new
/// keys, and handshakes in flight keep the old ones until they finish. The cache is internal to .NET (field
/// <c>Interop.OpenSsl.s_sslContexts</c>, a <c>SafeHandleCache</c> keyed by <c>SslContextCacheKey</c>, .NET 10), so it
/// is reached by reflection, checked once at start; where it is not found, keys cannot be rotated and
/// <see cref="Available"/> says so.
/// </summary>
internal static class OpenSslContextCache
{
    private static readonly (IDictionary Entries, FieldInfo IsClient)? Cache = Find();

    /// <summary>Whether this runtime's cache was found, so server contexts can be dropped.</summary>
    public static bool Available => Cache is not null;

    /// <summary>Drops every server context from the cache; returns how many.</summary>
    public static int DropServerContexts()
    {
        if (Cache is not { } cache)
        {
            return 0;
        }

        var dropped = 0;

        // A ConcurrentDictionary: its keys are a snapshot, and removing while others add is safe.
        foreach (var key in cache.Entries.Keys.Cast<object>().ToList())
        {
            if (cache.IsClient.GetValue(key) is false)
            {
                cache.Entries.Remove(key);
                dropped++;
            }
        }

        return dropped;
    }

    private static (IDictionary, FieldInfo)? Find()
    {
        if (OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
        {
            return null;
        }

        var assembly = typeof(SslStream).Assembly;
        var holder = assembly.GetType("Interop+OpenSsl")?.GetField("s_sslContexts", BindingFlags.Static | BindingFlags.NonPublic);
        var cache = holder?.GetValue(null);
        var entries = cache?.GetType().BaseType?.GetField("_cache", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(cache) as IDictionary;
        var isClient = assembly.GetType("Interop+OpenSsl+SslContextCacheKey")?.GetField("IsClient", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        return entries is not null && isClient?.FieldType == typeof(bool) ? (entries, isClient) : null;
    }
}
