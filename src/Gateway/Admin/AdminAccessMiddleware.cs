using System.Buffers;
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
/// localhost Host headers are served then) nor post a state change from another origin.
/// </summary>
internal sealed class AdminAccessMiddleware(RequestDelegate next, GenerationStore generations, GatewayMetrics metrics, TimeProvider time)
{
    /// <summary>The realm label of <c>gateway.auth.throttled</c> for the admin listener (route ids label the rest).</summary>
    public const string AdminRealm = "(admin)";

    private const int DefaultPort = 80;

    // What a serialized origin's host and port may hold: a name, an IPv4 address, a bracketed IPv6 address, a port.
    private static readonly SearchValues<char> AuthorityChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]");

    // Its own verification slots: password guessing on a public route must not lock the operator out of the admin.
    private readonly BasicAuthenticator _authenticator = new(time);

    public async Task InvokeAsync(HttpContext context)
    {
        var admin = generations.Current.Get<AdminConfig>();
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

    /// <summary>
    /// A browser says where a request comes from (Sec-Fetch-Site, Origin, or at least Referer); tools like curl say
    /// nothing. Any of them naming another origin than the one the browser sent the request to is cross-site.
    /// </summary>
    private static bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none"))
        {
            return true;
        }

        var origin = request.Headers.Origin;
        if (origin.Count > 0)
        {
            return origin.Count > 1 || !IsListenerOrigin(origin.ToString(), request.Host);
        }

        // Origin is on every cross-origin request of a current browser; Referer stands in for it where a browser or a
        // privacy extension left it out.
        var referer = request.Headers.Referer;
        return referer.Count > 0 && (referer.Count > 1 || !IsListenerOrigin(OriginOf(referer.ToString()), request.Host));
    }

    /// <summary>
    /// The admin listener speaks plain HTTP, so its one origin is <c>http://</c> and the host and port the browser
    /// addressed (the Host header: the listener's, or a port forward's in front of it). Anything else is another origin:
    /// "null", https:, file:, extension schemes, another port, userinfo, a path, a host differing in any way but case.
    /// </summary>
    private static bool IsListenerOrigin(string origin, HostString host)
    {
        const string Scheme = "http://";
        if (!origin.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || !host.HasValue)
        {
            return false;
        }

        // A serialized origin is scheme://host[:port] and nothing more (RFC 6454 6.2).
        var authority = origin.AsSpan(Scheme.Length);
        if (authority.IsEmpty || authority.ContainsAnyExcept(AuthorityChars))
        {
            return false;
        }

        var portStart = authority.LastIndexOf(':');
        if (portStart >= 0 && authority[portStart..].Contains(']'))
        {
            portStart = -1; // the colons of an IPv6 literal
        }

        var name = portStart < 0 ? authority : authority[..portStart];
        if (!TryParsePort(portStart < 0 ? default : authority[(portStart + 1)..], portStart >= 0, out var port))
        {
            return false;
        }

        return name.Equals(host.Host, StringComparison.OrdinalIgnoreCase) && port == (host.Port ?? DefaultPort);
    }

    /// <summary>The origin part of a URL ("http://host:port" of "http://host:port/path?query"); what does not parse gives "".</summary>
    private static string OriginOf(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return "";
        }

        var end = url.AsSpan(schemeEnd + 3).IndexOfAny('/', '?', '#');
        return end < 0 ? url : url[..(schemeEnd + 3 + end)];
    }

    /// <summary>Decimal 1-65535 without leading zeros, as a browser serializes it; none is port 80.</summary>
    private static bool TryParsePort(ReadOnlySpan<char> text, bool present, out int port)
    {
        port = DefaultPort;
        if (!present)
        {
            return true;
        }

        if (text.Length is 0 or > 5 || text[0] == '0' || text.ContainsAnyExceptInRange('0', '9'))
        {
            return false;
        }

        port = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        return port <= 65535;
    }
}
