namespace Gateway.Certificates.Acme;

/// <summary>What a lock file in the store says: who holds it, since when, until when unless renewed.</summary>
/// <param name="Key">The host set's file name, or "account".</param>
/// <param name="Generation">The lock file's number: each holder has its own, one higher than the last.</param>
/// <param name="Released">The holder is done; the next may take the following generation at once.</param>
internal sealed record AcmeLockInfo(string Key, long Generation, string Owner, DateTimeOffset Acquired, DateTimeOffset Expires, bool Released);
