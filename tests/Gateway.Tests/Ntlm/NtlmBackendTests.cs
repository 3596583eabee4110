using System.Net;
using System.Net.Http.Headers;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Ntlm;

/// <summary>The NTLM backend on its own, so gateway tests can trust what it says about identities.</summary>
public sealed class NtlmBackendTests : IAsyncLifetime
{
    private NtlmBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await NtlmBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task The_right_password_gets_the_user_name()
    {
        var user = _backend.Users[0];
        using var client = Client(user.Credential);

        Assert.Equal($"user={user.IdentityName}", await client.GetStringAsync("/whoami"));
        Assert.Equal(1, _backend.CompletedHandshakes);
    }

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        var user = _backend.Users[0];
        using var client = Client(new NetworkCredential(user.UserName, user.Password + "x", user.Domain));

        using var response = await client.GetAsync("/whoami");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, _backend.CompletedHandshakes);
    }

    [Fact]
    public async Task An_anonymous_client_is_challenged_on_whoami_and_anonymous_on_anonymous()
    {
        using var client = Client(null);

        using var response = await client.GetAsync("/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal([new AuthenticationHeaderValue("NTLM")], response.Headers.WwwAuthenticate);
        Assert.Equal("anonymous", await client.GetStringAsync("/anonymous"));
    }

    [Fact]
    public async Task The_identity_stays_on_the_connection_and_only_there()
    {
        var user = _backend.Users[0];
        using var authenticated = Client(user.Credential);
        using var other = Client(null);

        Assert.Equal($"user={user.IdentityName}", await authenticated.GetStringAsync("/whoami"));
        Assert.Equal($"user={user.IdentityName}", await authenticated.GetStringAsync("/anonymous"));
        Assert.Equal("anonymous", await other.GetStringAsync("/anonymous"));
        Assert.Equal(1, _backend.CompletedHandshakes);
        Assert.Equal(2, _backend.Connections);
    }

    [Fact]
    public async Task Concurrent_users_each_get_their_own_name()
    {
        var users = _backend.Users.Take(5).ToList();

        var answers = await Task.WhenAll(users.Select(async user =>
        {
            using var client = Client(user.Credential);
            return await client.GetStringAsync("/whoami");
        }));

        Assert.Equal(users.Select(user => $"user={user.IdentityName}"), answers);
        Assert.Equal(5, _backend.CompletedHandshakes);
    }

    [Fact]
    public async Task Ntlm_works_over_tls()
    {
        await using var backend = await NtlmBackend.StartAsync(TestCertificates.Get("ntlm.test").Certificate);
        var user = backend.Users[^1];
        using var client = Client(new Uri($"https://{backend.Address}"), user.Credential);

        Assert.Equal($"user={user.IdentityName}", await client.GetStringAsync("/whoami"));
        Assert.Same(_backend.Users, backend.Users);
    }

    private HttpClient Client(NetworkCredential? credential) => Client(new Uri($"http://{_backend.Address}"), credential);

    /// <summary>One connection per client, so a second request can only ride the connection the first authenticated.</summary>
    private static HttpClient Client(Uri baseAddress, NetworkCredential? credential) => new(new SocketsHttpHandler
    {
        Credentials = credential,
        MaxConnectionsPerServer = 1,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(10),
    };
}
