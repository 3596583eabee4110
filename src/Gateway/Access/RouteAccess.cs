using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Proxy;

namespace Gateway.Access;

/// <summary>
/// Gateway:Proxy:Routes:{id}, in YARP's proxy pipeline before anything is forwarded: exploit rules (403), client
/// networks (403) and basic-auth users (401), combined as Satisfy says; then HSTS on the way out. A route whose
/// settings are not published yet (mid-reload) is answered 503, never proxied unchecked.
/// </summary>
internal sealed class RouteAccess(GatewaySnapshotStore snapshots, BasicAuthenticator authenticator, GatewayMetrics metrics, TimeProvider time)
{
    public async Task CheckAsync(HttpContext context, Func<Task> next)
    {
        var request = ProxyRequestPolicy.Of(context, snapshots);
        if (!request.Known)
        {
            await ProxyRequestPolicy.RefuseUnknownAsync(context);
            return;
        }

        if (request.Route is not { } policy)
        {
            await next();
            return;
        }

        var routeId = context.GetReverseProxyFeature().Route.Config.RouteId;
        if (policy.BlockExploits && ExploitRules.Match(context.Request) is { } rule)
        {
            Deny(context, routeId, DenyReasons.Exploit, StatusCodes.Status403Forbidden);
            context.Response.Headers["X-Gateway-Blocked"] = rule;
            return;
        }

        // Satisfy Any: a network an "allow" rule names needs no password (not one a blocklist merely leaves out).
        // Satisfy All, or no users: the network must be allowed.
        var client = context.Connection.RemoteIpAddress;
        var users = policy.Users.Count > 0;
        if (policy.Access.Count > 0 && !(users && policy.SatisfyAny) && !policy.Access.Allows(client))
        {
            Deny(context, routeId, DenyReasons.Network, StatusCodes.Status403Forbidden);
            return;
        }

        if (users)
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (!(policy.SatisfyAny && policy.Access.ExplicitlyAllows(client))
                && !await authenticator.AuthenticateAsync(authorization, policy.Users, context.RequestAborted))
            {
                await Task.Delay(BasicAuthenticator.FailureDelay, time, context.RequestAborted);
                Deny(context, routeId, DenyReasons.Auth, StatusCodes.Status401Unauthorized);
                context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{routeId}\", charset=\"UTF-8\"";
                return;
            }

            // The gateway's password is not the backend's business, even when the network alone let the client in.
            if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                context.Request.Headers.Authorization = default;
            }
        }

        if (policy.Hsts is { } hsts && context.Request.IsHttps)
        {
            // Set when the response starts, so it wins over whatever the backend sent.
            var value = hsts.HeaderValue;
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.StrictTransportSecurity = value;
                return Task.CompletedTask;
            });
        }

        await next();
    }

    private void Deny(HttpContext context, string routeId, string reason, int status)
    {
        metrics.ProxyDenied(routeId, reason);
        context.Response.StatusCode = status;
    }
}
