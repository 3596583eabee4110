using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Access;

/// <summary>
/// Failed logins counted per client (an IPv4 address, or an IPv6 /64, which one subscriber usually holds whole) and
/// per user name. After <see cref="FreeFailures"/> failures a key is locked for a second, then twice as long after
/// each further failure, up to <see cref="MaxClientLockout"/> for a client and <see cref="MaxUserLockout"/> for a
/// user. A user's lock holds back only clients that failed lately themselves, so guessing someone's password from
/// many addresses gives each address one try per lock and never locks out the user's own client. A locked key is
/// answered at once without a password check, and one client may have only <see cref="MaxInFlightPerClient"/> checks
/// running: one address can no longer fill the shared verification slots and make other clients' correct
/// passwords wait. Keys are forgotten <see cref="Forget"/> after their last failure.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    public const int FreeFailures = 5;
    public const int MaxInFlightPerClient = 2;
    public static readonly TimeSpan MaxClientLockout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan MaxUserLockout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan Forget = TimeSpan.FromMinutes(15);

    // Bounds the memory a flood of addresses can take; past it, forgotten entries go first, then the oldest half.
    private const int MaxEntries = 100_000;

    private const int MaxKeptUserLength = 64;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Keys tracked now (clients and users).</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Starts a password check for <paramref name="client"/> logging in as <paramref name="user"/>; false (with how long to
    /// wait) when either is locked or the client already has its checks running. Every true must be matched by one <see cref="Exit"/>.
    /// </summary>
    public bool TryEnter(IPAddress? client, string user, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        var clientEntry = EntryFor(ClientKey(client), now);
        // A user's lock holds back only clients that failed lately themselves: others guessing alice's password
        // must not lock alice out, and each guessing address still gets no more than one try per lock.
        // The user's entry is only looked up here: it is made by a failed check, so a name that was merely sent
        // (a locked client can send thousands a second) keeps nothing.
        var clientLock = clientEntry.LockedFor(now);
        retryAfter = clientEntry.FailedWithin(now, Forget) && _entries.TryGetValue(UserKey(user), out var userEntry)
            ? Max(clientLock, userEntry.LockedFor(now))
            : clientLock;
        if (retryAfter > TimeSpan.Zero)
        {
            return false;
        }

        if (Interlocked.Increment(ref clientEntry.InFlight) > MaxInFlightPerClient)
        {
            Interlocked.Decrement(ref clientEntry.InFlight);
            retryAfter = TimeSpan.FromSeconds(1);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Ends a check <see cref="TryEnter"/> started: a success forgives the client one failure, a failure counts against
    /// both keys. Forgiving all of them would let a guesser who knows one password (any route's user: one throttle serves
    /// them all) start afresh after every few guesses, never reaching the longer locks.
    /// </summary>
    public void Exit(IPAddress? client, string user, bool verified)
    {
        var now = time.GetUtcNow();
        var clientEntry = EntryFor(ClientKey(client), now);
        Interlocked.Decrement(ref clientEntry.InFlight);
        if (verified)
        {
            clientEntry.ForgiveOne();
            return;
        }

        clientEntry.Fail(now, MaxClientLockout);
        EntryFor(UserKey(user), now).Fail(now, MaxUserLockout);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string ClientKey(IPAddress? client) => client is null ? "ip:" : "ip:" + Networks.Subscriber(client);

    /// <summary>
    /// The key of a user name. A name is as long as a request head allows (tens of kilobytes), so a long one is kept
    /// as its SHA-256: an entry costs the same whatever name a client sends.
    /// </summary>
    private static string UserKey(string user) => user.Length <= MaxKeptUserLength
        ? "user:" + user
        : "user#" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(user)));

    private Entry EntryFor(string key, DateTimeOffset now)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            return entry;
        }

        if (_entries.Count >= MaxEntries)
        {
            Prune(now);
        }

        return _entries.GetOrAdd(key, static _ => new Entry());
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries)
        {
            if (entry.Forgotten(now))
            {
                _entries.TryRemove(key, out _);
            }
        }

        if (_entries.Count >= MaxEntries / 2)
        {
            foreach (var (key, _) in _entries.OrderBy(e => e.Value.LastFailure).Take(_entries.Count / 2))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }

    private sealed class Entry
    {
        private readonly Lock _lock = new();
        private int _failures;
        private DateTimeOffset _lockedUntil;

        public int InFlight;

        public DateTimeOffset LastFailure { get; private set; }

        /// <summary>A failure lately, forgiven or not: a success between guesses does not lift a user's lock off the guesser.</summary>
        public bool FailedWithin(DateTimeOffset now, TimeSpan window)
        {
            lock (_lock)
            {
                return now - LastFailure <= window;
            }
        }

        public TimeSpan LockedFor(DateTimeOffset now)
        {
            lock (_lock)
            {
                if (_failures > 0 && now - LastFailure > Forget)
                {
                    _failures = 0;
                }

                return _lockedUntil > now ? _lockedUntil - now : TimeSpan.Zero;
            }
        }

        public bool Forgotten(DateTimeOffset now)
        {
            lock (_lock)
            {
                return Volatile.Read(ref InFlight) == 0 && _lockedUntil <= now && now - LastFailure > Forget;
            }
        }

        public void Fail(DateTimeOffset now, TimeSpan maxLockout)
        {
            lock (_lock)
            {
                _failures = now - LastFailure > Forget ? 1 : _failures + 1;
                LastFailure = now;
                if (_failures >= FreeFailures)
                {
                    var seconds = Math.Min(Math.Pow(2, _failures - FreeFailures), maxLockout.TotalSeconds);
                    _lockedUntil = now + TimeSpan.FromSeconds(seconds);
                }
            }
        }

        public void ForgiveOne()
        {
            lock (_lock)
            {
                _failures = Math.Max(0, _failures - 1);
            }
        }
    }
}
