using Gateway.Core;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Answers http-01 challenges (RFC 8555 8.3) on the HTTP listener, ahead of the redirect: this process's own, and
/// those another instance sharing the certificate store published there. Tokens nobody issued fall through to the
/// redirect, so a backend that runs its own ACME client can still be reached.
/// </summary>
internal sealed class AcmeHttpChallengeMiddleware(RequestDelegate next, AcmeChallengeResponses responses)
{
    private const string Prefix = "/.well-known/acme-challenge/";

    /// <remarks>
    /// Only a well-formed token is looked up: the path is percent-decoded by now, and anything but base64url (a slash,
    /// dots, an encoded separator, a very long string) never reaches the store as a file name. Every other request
    /// passes through without a state machine of this step's own: on the HTTPS listener that is every request, and an
    /// async step that awaits the rest of the pipeline costs an allocation per request.
    /// </remarks>
    public Task InvokeAsync(HttpContext context) =>
        context.Listener() == ListenerKind.Http
        && context.Request.Path.Value is { } path
        && path.StartsWith(Prefix, StringComparison.Ordinal)
        && AcmeChallengeStore.IsToken(path.AsSpan(Prefix.Length))
            ? AnswerAsync(context, path[Prefix.Length..])
            : next(context);

    private async Task AnswerAsync(HttpContext context, string token)
    {
        if (await responses.FindHttpAsync(token, context.RequestAborted) is not { } keyAuthorization)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = System.Text.Encoding.UTF8.GetByteCount(keyAuthorization);
        await context.Response.WriteAsync(keyAuthorization, context.RequestAborted);
    }
}
