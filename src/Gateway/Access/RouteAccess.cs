using Gateway.Configuration;
using Gateway.Core;
using Gateway.Metrics;
using Gateway.Proxy;

namespace Gateway.Access;

/// <summary>
/// Gateway:Proxy:Routes:{id}, in YARP's proxy pipeline before anything is forwarded: exploit rules (403), client
/// networks (403) and basic-auth users (401), combined as Satisfy says; then HSTS on the way out. A route whose
/// settings are not published yet (mid-reload) is answered 503, never proxied unchecked.
/// </summary>
internal sealed class RouteAccess(GenerationStore generations, BasicAuthenticator authenticator, GatewayMetrics metrics, TimeProvider time)
{
    public Task CheckAsync(HttpContext context, RequestDelegate next)
    {
        var request = ProxyRequestPolicy.Of(context, generations);
        if (!request.Known)
        {
            return ProxyRequestPolicy.RefuseUnknownAsync(context);
        }

        if (request.Route is not { } policy)
        {
            return next(context);
        }

        var routeId = context.GetReverseProxyFeature().Route.Config.RouteId;
        if (policy.BlockExploits && ExploitRules.Match(context.Request) is { } rule)
        {
            Deny(context, routeId, DenyReasons.Exploit, StatusCodes.Status403Forbidden);
            context.Response.Headers["X-Gateway-Blocked"] = rule;
            return Task.CompletedTask;
        }

        // Satisfy Any: a network an "allow" rule names needs no password (not one a blocklist merely leaves out).
        // Satisfy All, or no users: the network must be allowed.
        var client = context.Connection.RemoteIpAddress;
        var users = policy.Users.Count > 0;
        if (policy.Access.Count > 0 && !(users && policy.SatisfyAny) && !policy.Access.Allows(client))
        {
            Deny(context, routeId, DenyReasons.Network, StatusCodes.Status403Forbidden);
            return Task.CompletedTask;
        }

        return users && !(policy.SatisfyAny && policy.Access.ExplicitlyAllows(client))
            ? AuthenticateAsync(context, policy, routeId, next)
            : ContinueAsync(context, policy, next);
    }

    // Only a client that must give a password pays for an async step here (it cost an allocation per request).
    private async Task AuthenticateAsync(HttpContext context, RoutePolicyConfig policy, string routeId, RequestDelegate next)
    {
        var login = await authenticator.AuthenticateAsync(context.Request.Headers.Authorization.ToString(), policy.Users, context.Connection.RemoteIpAddress, context.RequestAborted);
        if (login == LoginResult.Throttled)
        {
            // Answered at once: holding a throttled guesser's connection for the delay would cost the gateway, not them.
            metrics.LoginThrottled(routeId);
            Deny(context, routeId, DenyReasons.AuthThrottled, StatusCodes.Status429TooManyRequests);
            return;
        }

        if (login != LoginResult.Accepted)
        {
            await Task.Delay(BasicAuthenticator.FailureDelay, time, context.RequestAborted);
            Deny(context, routeId, DenyReasons.Auth, StatusCodes.Status401Unauthorized);
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{routeId}\", charset=\"UTF-8\"";
            return;
        }

        await ContinueAsync(context, policy, next);
    }

    private static Task ContinueAsync(HttpContext context, RoutePolicyConfig policy, RequestDelegate next)
    {
        // The gateway's password is not the backend's business, even when the network alone let the client in.
        if (policy.Users.Count > 0 && context.Request.Headers.Authorization.Count > 0)
        {
            RemoveBasicCredentials(context.Request.Headers);
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

        return next(context);
    }

    private static void RemoveBasicCredentials(IHeaderDictionary headers)
    {
        var kept = new List<string>();
        foreach (var value in headers.Authorization)
        {
            // Whatever does not read as credentials of another scheme goes too: the pooled-cluster check refuses it anyway.
            if (value is not null && HttpAuthScheme.TryReadCredentials(value, out var scheme, out _) && !scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
            {
                kept.Add(value);
            }
        }

        headers.Authorization = kept.Count == 0 ? default : new Microsoft.Extensions.Primitives.StringValues([.. kept]);
    }

    private void Deny(HttpContext context, string routeId, string reason, int status)
    {
        metrics.ProxyDenied(routeId, reason);
        GatewayAnswer.Set(context, reason);
        context.Response.StatusCode = status;
    }
}
