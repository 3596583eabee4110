using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 that binds identities to TCP connections the way IIS does, for every
/// connection-bound scheme and read as leniently as IIS reads it: after one request whose Authorization is not of a
/// per-request scheme (Basic, Bearer, Digest, DPoP, AWS4-HMAC-SHA256, the app's own Token; any case, any whitespace after the scheme), every later request on that connection is answered
/// as that user, with or without credentials. "/login?user=U&amp;how=mutual" binds U and answers 200 with a Negotiate
/// mutual-authentication token; "how=persistent" answers with IIS's <c>Persistent-Auth: true</c>. Both answers
/// have no body, so the client hands the connection back to its pool as soon as the headers are in. Every answer
/// is <c>user=NAME</c>, empty for anonymous; a request without credentials answered as someone is counted as a leak.
/// </summary>
public sealed class IdentityBindingBackend : IAsyncDisposable
{
    private static readonly object UserKey = new();
    private static readonly HashSet<string> PerRequest = new(["Basic", "Bearer", "Digest", "DPoP", "AWS4-HMAC-SHA256", "Token"], StringComparer.OrdinalIgnoreCase);
    private readonly WebApplication _app;
    private int _bindings;
    private int _leaks;

    private IdentityBindingBackend(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    /// <summary>Connections that were bound to a user.</summary>
    public int Bindings => Volatile.Read(ref _bindings);

    /// <summary>The protocols the answered requests came in ("HTTP/1.1", "HTTP/2").</summary>
    public System.Collections.Concurrent.ConcurrentBag<string> Protocols { get; } = [];

    /// <summary>Requests without credentials answered as the user their connection was bound to.</summary>
    public int Leaks => Volatile.Read(ref _leaks);

    /// <param name="protocols">HTTP/1.1 by default; <see cref="HttpProtocols.Http2"/> alone serves HTTP/2 in clear text (prior knowledge).</param>
    /// <param name="certificate">Serve TLS with it, offering <paramref name="protocols"/> by ALPN.</param>
    public static async Task<IdentityBindingBackend> StartAsync(HttpProtocols protocols = HttpProtocols.Http1, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var (builder, endPoint) = LoopbackKestrel.CreateBuilder(protocols, certificate);
        var app = builder.Build();
        IdentityBindingBackend? backend = null;
        app.Run(context => backend!.AnswerAsync(context));
        await app.StartAsync();
        backend = new IdentityBindingBackend(app, endPoint());
        return backend;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private Task AnswerAsync(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()!.Items;
        var authorization = context.Request.Headers.Authorization.ToString().Trim();
        var scheme = authorization.Split([' ', '\t', ','], 2)[0];
        if (authorization.Length > 0 && !PerRequest.Contains(scheme))
        {
            Bind(items, "credentials:" + scheme);
        }
        else if (context.Request.Path == "/login" && context.Request.Query["user"].ToString() is { Length: > 0 } user)
        {
            Bind(items, user);
            if (context.Request.Query["how"] == "persistent")
            {
                context.Response.Headers["Persistent-Auth"] = "true";
            }
            else
            {
                context.Response.Headers.WWWAuthenticate = "Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==";
            }

            context.Response.ContentLength = 0;
            return Task.CompletedTask;
        }
        else if (items.ContainsKey(UserKey) && authorization.Length == 0)
        {
            Interlocked.Increment(ref _leaks);
        }

        Protocols.Add(context.Request.Protocol);
        return context.Response.WriteAsync("user=" + (items.TryGetValue(UserKey, out var bound) ? bound : ""));
    }

    private void Bind(IDictionary<object, object?> items, string user)
    {
        items[UserKey] = user;
        Interlocked.Increment(ref _bindings);
    }
}
