using System.Net;
using Gateway.Access;
using Gateway.Configuration;
using Gateway.Metrics;

namespace Gateway.Admin;

/// <summary>
/// Guards the admin listener: clients outside Gateway:Admin:AllowedNetworks get 403; with users configured,
/// everything but /healthz and /readyz needs HTTP Basic credentials, and a wrong password costs a delay.
/// Without users the listener is loopback-only (enforced when the config is loaded), so a web page in the
/// operator's browser is the remaining threat: it may neither rebind a DNS name to 127.0.0.1 (only IP and
/// localhost Host headers are served then) nor post a state change across sites.
/// </summary>
internal sealed class AdminAccessMiddleware(RequestDelegate next, GatewaySnapshotStore snapshots, GatewayMetrics metrics, TimeProvider time)
{
    /// <summary>The realm label of <c>gateway.auth.throttled</c> for the admin listener (route ids label the rest).</summary>
    public const string AdminRealm = "(admin)";

    // Its own verification slots: password guessing on a public route must not lock the operator out of the admin.
    private readonly BasicAuthenticator _authenticator = new(time);

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

        var login = await _authenticator.AuthenticateAsync(context.Request.Headers.Authorization.ToString(), admin.Users, context.Connection.RemoteIpAddress, context.RequestAborted);
        if (login == LoginResult.Throttled)
        {
            metrics.LoginThrottled(AdminRealm);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }

        if (login != LoginResult.Accepted)
        {
            // Slows password guessing; the connection is held, not a thread.
            await Task.Delay(BasicAuthenticator.FailureDelay, time, context.RequestAborted);
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
}
