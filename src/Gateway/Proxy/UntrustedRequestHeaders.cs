using Gateway.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>
/// Request transform on every L7 route: headers a backend may read as the client's address or as the URL actually
/// asked for are Gateway's to say, never the client's. YARP already replaces X-Forwarded-For, -Proto, -Host and
/// -Prefix; this drops the other spellings of the client's address (apps migrated from Nginx Proxy Manager trust
/// X-Real-IP, which NPM sets) and the URL overrides IIS modules and frameworks honour (X-Original-URL and
/// X-Rewrite-URL would let a client reach /ecp while the gateway's path rules saw /owa), then sets X-Real-IP to the
/// client's address (after the PROXY protocol, when a trusted balancer sent one).
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
    ];

    public static ValueTask ApplyAsync(RequestTransformContext transform)
    {
        var incoming = transform.HttpContext.Request.Headers;
        var outgoing = transform.ProxyRequest.Headers;
        foreach (var name in Dropped)
        {
            // Looked up in Kestrel's headers first: most requests carry none of these, and that lookup is the cheap one.
            if (incoming.ContainsKey(name))
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
