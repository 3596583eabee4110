namespace Gateway.Proxy;

/// <summary>
/// Request durations in fixed buckets a quarter octave wide (each bound 19% above the last), from 0.1 ms to two
/// minutes and a half: one Interlocked increment per request, no lock, no allocation. Percentiles are read from a copy of the
/// counts, or from the difference of two copies for a window of time.
/// </summary>
internal sealed class LatencyHistogram
{
    /// <summary>Buckets; the last one takes everything above the last bound.</summary>
    public const int Buckets = 84;

    private const double FirstBoundMicroseconds = 100;
    private const double BucketsPerOctave = 4;

    private readonly long[] _counts = new long[Buckets];

    public void Record(TimeSpan duration) => Interlocked.Increment(ref _counts[BucketOf(duration)]);

    /// <summary>Adds the counts to <paramref name="into"/> (a route's clusters summed in one array).</summary>
    public void AddTo(long[] into)
    {
        for (var i = 0; i < Buckets; i++)
        {
            into[i] += Interlocked.Read(ref _counts[i]);
        }
    }

    internal static int BucketOf(TimeSpan duration)
    {
        var microseconds = duration.Ticks / (double)TimeSpan.TicksPerMicrosecond;
        if (microseconds <= FirstBoundMicroseconds)
        {
            return 0;
        }

        var index = Math.Ceiling(BucketsPerOctave * Math.Log2(microseconds / FirstBoundMicroseconds));
        return index >= Buckets - 1 ? Buckets - 1 : (int)index;
    }

    /// <summary>The upper bound of bucket <paramref name="index"/> in milliseconds; the last bucket has none.</summary>
    internal static double UpperBoundMilliseconds(int index) =>
        index >= Buckets - 1 ? double.PositiveInfinity : FirstBoundMicroseconds * Math.Pow(2, index / BucketsPerOctave) / 1000;

    /// <summary>
    /// The <paramref name="quantile"/> (0-1) of the counted durations, in milliseconds, interpolated within its bucket;
    /// null when nothing was counted. Above the last bound it is the last bound.
    /// </summary>
    public static double? Percentile(ReadOnlySpan<long> counts, double quantile)
    {
        long total = 0;
        foreach (var count in counts)
        {
            total += count;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = Math.Clamp(quantile, 0, 1) * total;
        long before = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] > 0 && before + counts[i] >= rank)
            {
                var lower = i == 0 ? 0 : UpperBoundMilliseconds(i - 1);
                var upper = UpperBoundMilliseconds(i);
                if (double.IsPositiveInfinity(upper))
                {
                    return lower;
                }

                return lower + ((upper - lower) * (rank - before) / counts[i]);
            }

            before += counts[i];
        }

        return UpperBoundMilliseconds(Buckets - 2);
    }
}
