using System.Runtime.InteropServices;

namespace Gateway.Limits;

/// <summary>RLIMIT_NOFILE, the number of descriptors the process may hold, straight from the C library.</summary>
internal static partial class OpenFilesLimit
{
    /// <summary>RLIMIT_NOFILE on every Linux ABI .NET runs on.</summary>
    private const int NoFile = 7;

    private const string Libc = "libc";

    /// <summary>
    /// Raises the soft limit to the hard one, as nginx's <c>worker_rlimit_nofile</c> and most servers do: the soft
    /// limit is a default for interactive shells, the hard one what the operator (systemd's LimitNOFILE) allows.
    /// </summary>
    /// <returns>The soft limit in force, what it was before, and the hard limit; null where there is no such limit (not Linux).</returns>
    public static (long Soft, long Before, long Hard)? RaiseToHard()
    {
        if (!OperatingSystem.IsLinux() || getrlimit(NoFile, out var limit) != 0)
        {
            return null;
        }

        var before = limit.Current;
        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (setrlimit(NoFile, raised) == 0)
            {
                limit = raised;
            }
        }

        return (Clamp(limit.Current), Clamp(before), Clamp(limit.Maximum));
    }

    /// <summary>Descriptors open now, counted in /proc/self/fd (what node_exporter's process_open_fds reads).</summary>
    /// <returns>Null where it cannot be counted: not Linux, or no descriptor left to open the directory with.</returns>
    public static int? CountOpen()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // The enumeration's own handle on the directory is listed too.
            return Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() - 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>RLIM_INFINITY and anything past int range: the process can never hold that many anyway.</summary>
    private static long Clamp(ulong value) => (long)Math.Min(value, int.MaxValue);

    [StructLayout(LayoutKind.Sequential)]
    private record struct RLimit(ulong Current, ulong Maximum);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);
}
