using System.Net.Http.Headers;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Admin;

/// <summary>
/// Guards the admin listener: clients outside Gateway:Admin:AllowedNetworks get 403; with users configured,
/// everything but /healthz and /readyz needs HTTP Basic credentials, and a wrong password costs a delay.
/// Without users the listener is loopback-only (enforced when the config is loaded).
/// </summary>
internal sealed class AdminAccessMiddleware(RequestDelegate next, GatewaySnapshotStore snapshots, TimeProvider time)
{
    private static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(1);

    public async Task InvokeAsync(HttpContext context)
    {
        var admin = snapshots.Current.Config.Admin;
        var remote = context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        if (admin.AllowedNetworks.Count > 0 && (remote is null || !admin.AllowedNetworks.Any(n => n.Contains(remote))))
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

        if (!Authenticated(context.Request.Headers.Authorization, admin.Users))
        {
            // Slows password guessing; the connection is held, not a thread.
            await Task.Delay(FailureDelay, time, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Gateway admin\", charset=\"UTF-8\"";
            return;
        }

        await next(context);
    }

    private static bool Authenticated(string? header, IReadOnlyDictionary<string, string> users)
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
        return colon > 0
            && users.TryGetValue(credentials[..colon], out var hash)
            && PasswordHash.Verify(credentials[(colon + 1)..], hash);
    }
}
