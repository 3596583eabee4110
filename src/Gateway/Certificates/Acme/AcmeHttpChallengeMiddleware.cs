using Gateway.Core;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Answers http-01 challenges (RFC 8555 8.3) on the HTTP listener, ahead of the redirect. Tokens Gateway did
/// not issue fall through to the redirect, so a backend that runs its own ACME client can still be reached.
/// </summary>
internal sealed class AcmeHttpChallengeMiddleware(RequestDelegate next, AcmeChallengeResponses responses)
{
    private const string Prefix = "/.well-known/acme-challenge/";

    public Task InvokeAsync(HttpContext context)
    {
        if (context.Listener() == ListenerKind.Http
            && context.Request.Path.Value is { } path
            && path.StartsWith(Prefix, StringComparison.Ordinal)
            && responses.TryGetHttp(path[Prefix.Length..], out var keyAuthorization))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/octet-stream";
            return context.Response.WriteAsync(keyAuthorization);
        }

        return next(context);
    }
}
