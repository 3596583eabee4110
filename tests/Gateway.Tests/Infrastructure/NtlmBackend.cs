using System.Net;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1:0 that authenticates with NTLM the way IIS does: the identity belongs to
/// the TCP connection, so once a connection has finished a handshake, its later requests are that user even
/// without an Authorization header. A proxy that reuses one backend connection for two clients leaks one
/// client's identity to the other; "/anonymous" shows it.
/// </summary>
/// <remarks>
/// The server side is <see cref="NegotiateAuthentication"/> over GSSAPI, which on Linux needs Debian's
/// gss-ntlmssp (its mechanism is registered in /etc/gss/mech.d). gss-ntlmssp checks passwords against the file
/// named by the NTLM_USER_FILE environment variable, read with getenv at every handshake. That variable is
/// process-wide, so all backends alive at the same time share one users file and one set of <see cref="Users"/>;
/// the file is written when the first of them starts and deleted when the last is disposed.
/// HttpClient's NTLM on Linux also goes through GSSAPI (the managed NTLM client is the default only on Apple
/// platforms); it takes the password from the NetworkCredential, not from the file.
/// </remarks>
public sealed class NtlmBackend : IAsyncDisposable
{
    public const string Domain = "EDGETEST";

    private const int UserCount = 25;
    private static readonly Lock UsersLock = new();
    private static int _liveBackends;
    private static string? _usersDirectory;
    private static IReadOnlyList<NtlmUser> _users = [];

    private readonly WebApplication _app;
    private int _completedHandshakes;
    private int _connections;
    private int _disposed;

    private NtlmBackend(WebApplication app, IPEndPoint endPoint, IReadOnlyList<NtlmUser> users)
    {
        _app = app;
        EndPoint = endPoint;
        Users = users;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => $"127.0.0.1:{EndPoint.Port}";

    public IReadOnlyList<NtlmUser> Users { get; }

    public int CompletedHandshakes => Volatile.Read(ref _completedHandshakes);

    /// <summary>TCP connections that sent at least one request.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static async Task<NtlmBackend> StartAsync(X509Certificate2? certificate = null)
    {
        var users = AcquireUsers();
        try
        {
            return await StartAsync(certificate, users);
        }
        catch
        {
            ReleaseUsers();
            throw;
        }
    }

    private static async Task<NtlmBackend> StartAsync(X509Certificate2? certificate, IReadOnlyList<NtlmUser> users)
    {
        // NTLM binds to a connection; HTTP/2 would multiplex requests of different users onto one.
        var (builder, endPoint) = LoopbackKestrel.CreateBuilder(HttpProtocols.Http1, certificate);
        var app = builder.Build();
        NtlmBackend? backend = null;
        app.MapGet("/whoami", (HttpContext context) => backend!.Authenticate(context, allowAnonymous: false));
        app.MapGet("/anonymous", (HttpContext context) => backend!.Authenticate(context, allowAnonymous: true));
        await app.StartAsync();
        backend = new NtlmBackend(app, endPoint(), users);
        return backend;
    }

    private IResult Authenticate(HttpContext context, bool allowAnonymous)
    {
        var connection = ConnectionOf(context);
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("NTLM ", StringComparison.OrdinalIgnoreCase))
        {
            return Continue(context, connection, authorization["NTLM ".Length..].Trim());
        }

        if (connection.User is not null)
        {
            return Results.Text("user=" + connection.User);
        }

        return allowAnonymous ? Results.Text("anonymous") : Challenge(context, null);
    }

    private IResult Continue(HttpContext context, ConnectionState connection, string incoming)
    {
        if (connection.Handshake is null)
        {
            // A new handshake replaces the connection's identity, as IIS does when a client re-authenticates.
            connection.User = null;
            connection.Handshake = new NegotiateAuthentication(new NegotiateAuthenticationServerOptions { Package = "NTLM" });
        }

        string? outgoing;
        NegotiateAuthenticationStatusCode status;
        try
        {
            outgoing = connection.Handshake.GetOutgoingBlob(incoming, out status);
        }
        catch (FormatException)
        {
            connection.EndHandshake();
            return Results.BadRequest();
        }

        switch (status)
        {
            case NegotiateAuthenticationStatusCode.ContinueNeeded:
                return Challenge(context, outgoing);
            case NegotiateAuthenticationStatusCode.Completed:
                // Completed is the only status that means the client proved its password.
                connection.User = connection.Handshake.RemoteIdentity.Name;
                connection.EndHandshake();
                Interlocked.Increment(ref _completedHandshakes);
                return Results.Text("user=" + connection.User);
            default:
                connection.EndHandshake();
                return Challenge(context, null);
        }
    }

    private ConnectionState ConnectionOf(HttpContext context)
    {
        var items = context.Features.GetRequiredFeature<IConnectionItemsFeature>().Items;
        if (items.TryGetValue(ConnectionState.Key, out var existing))
        {
            return (ConnectionState)existing!;
        }

        var state = new ConnectionState();
        items[ConnectionState.Key] = state;
        context.Features.GetRequiredFeature<IConnectionCompleteFeature>().OnCompleted(static s =>
        {
            ((ConnectionState)s).EndHandshake();
            return Task.CompletedTask;
        }, state);
        Interlocked.Increment(ref _connections);
        return state;
    }

    /// <summary>
    /// Offers NTLM only: .NET's client prefers Negotiate when it is offered, and this backend reads only
    /// "Authorization: NTLM".
    /// </summary>
    private static IResult Challenge(HttpContext context, string? token)
    {
        context.Response.Headers.WWWAuthenticate = token is null ? "NTLM" : "NTLM " + token;
        return Results.StatusCode(StatusCodes.Status401Unauthorized);
    }

    private static IReadOnlyList<NtlmUser> AcquireUsers()
    {
        lock (UsersLock)
        {
            if (_liveBackends == 0)
            {
                RequireGssNtlm();
                _users = [.. Enumerable.Range(1, UserCount).Select(i => new NtlmUser(Domain, $"user{i:D2}", RandomNumberGenerator.GetHexString(24)))];
                _usersDirectory = Directory.CreateTempSubdirectory("gateway-ntlm-").FullName;
                var file = Path.Combine(_usersDirectory, "users");
                File.WriteAllLines(file, _users.Select(user => $"{user.Domain}:{user.UserName}:{user.Password}"));
                NativeEnvironment.Set("NTLM_USER_FILE", file);
            }

            _liveBackends++;
            return _users;
        }
    }

    /// <summary>Without GSSAPI's NTLM mechanism every handshake fails as a bare 401; this names the cause instead.</summary>
    private static void RequireGssNtlm()
    {
        using var probe = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "NTLM",
            Credential = new NetworkCredential("probe", "probe", Domain),
            TargetName = "HTTP/localhost",
        });
        probe.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out var status);
        if (status != NegotiateAuthenticationStatusCode.ContinueNeeded)
        {
            throw new InvalidOperationException($"NTLM over GSSAPI is unavailable ({status}): install Debian's gss-ntlmssp.");
        }
    }

    private static void ReleaseUsers()
    {
        lock (UsersLock)
        {
            if (--_liveBackends == 0)
            {
                Directory.Delete(_usersDirectory!, recursive: true);
                _usersDirectory = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        finally
        {
            ReleaseUsers();
        }
    }

    /// <summary>What IIS keeps per TCP connection: a handshake in progress, or the user it authenticated.</summary>
    private sealed class ConnectionState
    {
        public static readonly object Key = new();

        public NegotiateAuthentication? Handshake { get; set; }

        public string? User { get; set; }

        public void EndHandshake()
        {
            Handshake?.Dispose();
            Handshake = null;
        }
    }

    /// <summary>
    /// gss-ntlmssp reads the native environment; on Unix <see cref="Environment.SetEnvironmentVariable(string, string)"/>
    /// changes only .NET's own copy of it.
    /// </summary>
    private static class NativeEnvironment
    {
        public static void Set(string name, string value)
        {
            Environment.SetEnvironmentVariable(name, value);
            if (SetEnv(name, value, 1) != 0)
            {
                throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        [DllImport("libc", EntryPoint = "setenv", SetLastError = true)]
        private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
    }
}

/// <summary>A user the backend's users file knows; <see cref="IdentityName"/> is what "/whoami" answers for it.</summary>
public sealed record NtlmUser(string Domain, string UserName, string Password)
{
    public NetworkCredential Credential => new(UserName, Password, Domain);

    public string IdentityName => $"{Domain}\\{UserName}";
}
