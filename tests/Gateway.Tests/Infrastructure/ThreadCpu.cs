using System.Runtime.InteropServices;

namespace Gateway.Tests.Infrastructure;

/// <summary>The calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID): what a computation cost, whatever else runs.</summary>
public static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3;

    public static TimeSpan Now
    {
        get
        {
            if (ClockGetTime(ClockThreadCpuTime, out var time) != 0)
            {
                throw new InvalidOperationException($"clock_gettime failed: errno {Marshal.GetLastPInvokeError()}");
            }

            return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
        }
    }

    [DllImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
