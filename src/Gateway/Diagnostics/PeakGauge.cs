namespace Gateway.Diagnostics;

/// <summary>Raises a "most at once" figure without a lock: the stats page's peak tunnels and peak requests in flight.</summary>
internal static class PeakGauge
{
    /// <summary>Sets <paramref name="peak"/> to <paramref name="value"/> when that is higher, against racing writers.</summary>
    public static void Raise(ref int peak, int value)
    {
        var seen = Volatile.Read(ref peak);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref peak, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
