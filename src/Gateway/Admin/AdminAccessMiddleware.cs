using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Admin;

/// <summary>
/// Guards the admin listener: clients outside Gateway:Admin:AllowedNetworks get 403; with users configured,
/// everything but /healthz and /readyz needs HTTP Basic credentials, and a wrong password costs a delay.
/// Without users the listener is loopback-only (enforced when the config is loaded), so a web page in the
/// operator's browser is the remaining threat: it may neither rebind a DNS name to 127.0.0.1 (only IP and
/// localhost Host headers are served then) nor post a state change across sites.
/// </summary>
#pragma warning disable CA1001 // Lives as long as the app; a SemaphoreSlim that never hands out its wait handle holds nothing to dispose.
internal sealed class AdminAccessMiddleware(RequestDelegate next, GatewaySnapshotStore snapshots, TimeProvider time)
{
    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RememberLogin = TimeSpan.FromMinutes(1);

    // Verified against for unknown users, so timing does not tell which user names exist.
    private static readonly string DecoyHash = PasswordHash.Create(Guid.NewGuid().ToString());

    // PBKDF2 is deliberately slow: bound how many run at once, and do not redo it for every scrape.
    private readonly SemaphoreSlim _verifying = new(Environment.ProcessorCount);
    private readonly ConcurrentDictionary<string, (string Hash, DateTimeOffset Until)> _recent = new(StringComparer.Ordinal);
#pragma warning restore CA1001

    public async Task InvokeAsync(HttpContext context)
    {
        var admin = snapshots.Current.Config.Admin;
        if ((admin.AllowedNetworks.Count > 0 && !Networks.Contains(admin.AllowedNetworks, context.Connection.RemoteIpAddress))
            || (admin.Users.Count == 0 && !IsLocalName(context.Request.Host.Host))
            || (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && IsCrossSite(context.Request)))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var path = context.Request.Path;
        if (admin.Users.Count == 0 || path.Equals("/healthz", StringComparison.Ordinal) || path.Equals("/readyz", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        if (!await AuthenticatedAsync(context.Request.Headers.Authorization.ToString(), admin.Users, context.RequestAborted))
        {
            // Slows password guessing; the connection is held, not a thread.
            await Task.Delay(FailureDelay, time, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Gateway admin\", charset=\"UTF-8\"";
            return;
        }

        await next(context);
    }

    private static bool IsLocalName(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out _);

    /// <summary>A browser says where a request comes from (Sec-Fetch-Site, Origin); tools like curl say nothing.</summary>
    private static bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !uri.Authority.Equals(request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<bool> AuthenticatedAsync(string header, IReadOnlyDictionary<string, string> users, CancellationToken aborted)
    {
        if (!AuthenticationHeaderValue.TryParse(header, out var value)
            || !"Basic".Equals(value.Scheme, StringComparison.OrdinalIgnoreCase) || value.Parameter is null)
        {
            return false;
        }

        string credentials;
        try
        {
            credentials = Encoding.UTF8.GetString(Convert.FromBase64String(value.Parameter));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        var known = users.TryGetValue(credentials[..colon], out var hash);
        hash ??= DecoyHash;
        if (_recent.TryGetValue(header, out var remembered) && remembered.Hash == hash && remembered.Until > time.GetUtcNow())
        {
            return true;
        }

        await _verifying.WaitAsync(aborted);
        bool verified;
        try
        {
            verified = PasswordHash.Verify(credentials[(colon + 1)..], hash) && known;
        }
        finally
        {
            _verifying.Release();
        }

        if (verified)
        {
            if (_recent.Count > 1000)
            {
                _recent.Clear();
            }

            _recent[header] = (hash, time.GetUtcNow() + RememberLogin);
        }

        return verified;
    }
}
