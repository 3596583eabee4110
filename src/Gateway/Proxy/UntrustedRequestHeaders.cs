using System.Collections.Frozen;
using Gateway.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>
/// Request transform on every L7 route: headers a backend may read as the client's address or as the URL actually
/// asked for are Gateway's to say, never the client's. YARP already replaces X-Forwarded-For, -Proto, -Host and
/// -Prefix; this drops the other spellings of the client's address (apps migrated from Nginx Proxy Manager trust
/// X-Real-IP, which NPM sets) and the URL overrides IIS modules and frameworks honour (X-Original-URL and
/// X-Rewrite-URL would let a client reach /ecp while the gateway's path rules saw /owa), the other spellings of the
/// scheme and host (Rack, gunicorn and IIS apps take X-Forwarded-Ssl: on or Front-End-Https: On as "the client used
/// TLS", and build links and redirects from X-Original-Host), then sets X-Real-IP to the client's address (after the
/// PROXY protocol, when a trusted balancer sent one).
/// </summary>
internal static class UntrustedRequestHeaders
{
    public const string RealIp = "X-Real-IP";

    /// <summary>Dropped from every proxied request; written down in docs/configuration.md (ReverseProxy).</summary>
    public static readonly string[] Dropped =
    [
        RealIp, "X-Original-URL", "X-Rewrite-URL", "X-Original-URI", "X-Forwarded-Uri", "X-Forwarded-Path",
        "Forwarded", "X-Forwarded-Server", "X-Forwarded-Port", "X-Client-IP", "True-Client-IP", "X-Cluster-Client-IP",
        "CF-Connecting-IP", "Fastly-Client-IP", "X-Originating-IP", "X-Remote-IP", "X-Remote-Addr", "Client-IP",
        "X-ProxyUser-IP", "Forwarded-For", "X-Forwarded",
        "X-Forwarded-Scheme", "X-Forwarded-Ssl", "X-Forwarded-Protocol", "X-Url-Scheme", "X-Scheme", "Front-End-Https",
        "X-Original-Host", "X-Host",
    ];

    /// <summary>
    /// Every header above and those YARP replaces. CGI, PHP and WSGI hand a header to the application as
    /// HTTP_X_FORWARDED_FOR whether it came as X-Forwarded-For or X_Forwarded_For, and merge the two: a client's
    /// X_Forwarded_For would ride along with the one Gateway wrote. A name that reads as one of these once '_' is read
    /// as '-' is therefore dropped too, as nginx drops every name with an underscore by default.
    /// </summary>
    private static readonly FrozenSet<string> Guarded =
        Dropped.Concat(["X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix"]).ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> DroppedNames = Dropped.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    public static ValueTask ApplyAsync(RequestTransformContext transform)
    {
        // One pass over the names the request goes out with (a dozen, typically), each looked up once, rather than a
        // lookup per dropped name: the list has grown to 30, and most requests carry none of them.
        var outgoing = transform.ProxyRequest.Headers;
        List<string>? untrusted = null;
        foreach (var header in outgoing.NonValidated)
        {
            var name = header.Key;
            if (DroppedNames.Contains(name) || (name.Contains('_', StringComparison.Ordinal) && Guarded.Contains(name.Replace('_', '-'))))
            {
                (untrusted ??= []).Add(name);
            }
        }

        if (untrusted is not null)
        {
            foreach (var name in untrusted)
            {
                outgoing.Remove(name);
            }
        }

        if (transform.HttpContext.Connection.RemoteIpAddress is { } client)
        {
            outgoing.TryAddWithoutValidation(RealIp, Networks.Unmapped(client).ToString());
        }

        return ValueTask.CompletedTask;
    }
}
