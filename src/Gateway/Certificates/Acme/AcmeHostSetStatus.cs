namespace Gateway.Certificates.Acme;

/// <summary>Where one host set stands with the CA: what the stats page shows and what backoff is computed from.</summary>
internal sealed class AcmeHostSetStatus(IReadOnlyList<string> hosts)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromHours(24);

    public IReadOnlyList<string> Hosts { get; } = hosts;

    /// <summary>Failed attempts since the last success.</summary>
    public int Failures { get; private set; }

    public DateTimeOffset? LastAttempt { get; private set; }

    public DateTimeOffset? LastSuccess { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>No order before this instant (backoff after a failure).</summary>
    public DateTimeOffset NotBefore { get; private set; }

    public bool Ordering { get; set; }

    /// <summary>The lock in the store for this set when last seen held: by this instance while it orders, or by another one.</summary>
    public AcmeLockInfo? Lock { get; private set; }

    /// <summary>Set while this instance holds the set's lock; null once it is released.</summary>
    public void Holding(AcmeLockInfo? held) => Lock = held;

    /// <summary>Another instance holds the set's lock: look again after <paramref name="lookAgain"/>. Not a failure: no backoff grows.</summary>
    public void HeldElsewhere(AcmeLockInfo holder, DateTimeOffset now, TimeSpan lookAgain)
    {
        Lock = holder;
        NotBefore = now + lookAgain;
    }

    /// <summary>Whatever the certificate's dates say, the next order for this set waits an hour: a clock or CA that
    /// disagrees with us must not turn into an order loop that burns the CA's rate limits.</summary>
    public void Succeeded(DateTimeOffset now)
    {
        Failures = 0;
        LastAttempt = LastSuccess = now;
        LastError = null;
        Lock = null;
        NotBefore = now + TimeSpan.FromHours(1);
    }

    /// <summary>Exponential backoff from one minute to a day, ±20 % jitter, never sooner than the CA's Retry-After.</summary>
    public void Failed(DateTimeOffset now, string error, TimeSpan? retryAfter)
    {
        Failures++;
        LastAttempt = now;
        LastError = error;
        var backoff = FirstRetry * Math.Pow(2, Math.Min(Failures - 1, 20));
        if (backoff > MaxRetry)
        {
            backoff = MaxRetry;
        }

        backoff *= 0.8 + (0.4 * Random.Shared.NextDouble());
        if (retryAfter > backoff)
        {
            backoff = retryAfter.Value;
        }

        NotBefore = now + backoff;
    }
}
