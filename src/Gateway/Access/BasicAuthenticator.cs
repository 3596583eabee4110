using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Gateway.Core;
using Gateway.Proxy;

namespace Gateway.Access;

/// <summary>
/// HTTP Basic credentials checked against PBKDF2 hashes (<c>Gateway --hash-password</c>), for the admin listener and
/// for routes with users. Verifications are bounded in number, throttled per client and per user after repeated
/// failures (<see cref="LoginThrottle"/>), remembered for a minute, and take as long for an unknown user as for a known one.
/// </summary>
#pragma warning disable CA1001 // Lives as long as the app; a SemaphoreSlim that never hands out its wait handle holds nothing to dispose.
internal sealed class BasicAuthenticator(TimeProvider time)
{
    /// <summary>How long a refused client waits for its 401: slows password guessing; the connection is held, not a thread.</summary>
    public static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan RememberLogin = TimeSpan.FromMinutes(1);

    /// <summary>How long a login waits for a verification slot before it is refused: a flood of guesses must not hold requests forever.</summary>
    private static readonly TimeSpan VerifyQueueLimit = TimeSpan.FromSeconds(5);

    // Verified against for unknown users, so timing does not tell which user names exist.
    private static readonly string DecoyHash = PasswordHash.Create(Guid.NewGuid().ToString());

    // PBKDF2 is deliberately slow: bound how many run at once, and do not redo it for every request.
    private readonly SemaphoreSlim _verifying = new(Environment.ProcessorCount);
    private readonly ConcurrentDictionary<string, (string User, string Hash, DateTimeOffset Until)> _recent = new(StringComparer.Ordinal);
#pragma warning restore CA1001

    /// <summary>Failed logins per client and per user; exposed for the tests.</summary>
    public LoginThrottle Throttle { get; } = new(time);

    /// <summary>Whether <paramref name="header"/> is Basic credentials of one of <paramref name="users"/> (name to PBKDF2 hash), sent by <paramref name="client"/>.</summary>
    public async Task<LoginResult> AuthenticateAsync(string header, IReadOnlyDictionary<string, string> users, IPAddress? client, CancellationToken aborted)
    {
        // A remembered login still counts only while its user has the hash it was verified against.
        if (_recent.TryGetValue(header, out var remembered) && remembered.Until > time.GetUtcNow()
            && users.TryGetValue(remembered.User, out var current) && current == remembered.Hash)
        {
            return LoginResult.Accepted;
        }

        // No credentials is how every Basic login starts (the browser asks after the 401): not a failure.
        if (!HttpAuthScheme.TryReadCredentials(header, out var scheme, out var token68)
            || !scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) || token68.IsEmpty)
        {
            return LoginResult.Refused;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(token68.ToString()));
        }
        catch (FormatException)
        {
            return LoginResult.Refused;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return LoginResult.Refused;
        }

        var user = credentials[..colon];
        if (!Throttle.TryEnter(client, user, out _))
        {
            return LoginResult.Throttled;
        }

        var verified = false;
        try
        {
            var known = users.TryGetValue(user, out var hash);
            if (!await TryWaitForSlotAsync(aborted))
            {
                return LoginResult.Refused; // every slot busy for the whole limit: refused like a wrong password, not held
            }

            try
            {
                // On the thread pool: socket continuations run on the I/O threads, which must not stall for a hash.
                var password = credentials[(colon + 1)..];
                verified = await Task.Run(() => PasswordHash.Verify(password, hash ?? DecoyHash), aborted) && known;
            }
            finally
            {
                _verifying.Release();
            }
        }
        finally
        {
            Throttle.Exit(client, user, verified);
        }

        if (verified)
        {
            if (_recent.Count > 1000)
            {
                _recent.Clear();
            }

            _recent[header] = (user, users[user], time.GetUtcNow() + RememberLogin);
        }

        return verified ? LoginResult.Accepted : LoginResult.Refused;
    }

    private async Task<bool> TryWaitForSlotAsync(CancellationToken aborted)
    {
        using var queued = new CancellationTokenSource(VerifyQueueLimit, time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(queued.Token, aborted);
        try
        {
            await _verifying.WaitAsync(waiting.Token);
            return true;
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return false;
        }
    }
}
