using System.Net;
using System.Text;
using Gateway.Access;
using Gateway.Core;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Access;

public sealed class BasicAuthenticatorTests
{
    private static readonly IPAddress Client = IPAddress.Loopback;
    private static readonly string Header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:secret"));

    [Fact]
    public async Task A_remembered_login_counts_only_for_the_same_user_and_hash_and_only_for_a_minute()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var authenticator = new BasicAuthenticator(time);
        var users = new Dictionary<string, string> { ["bob"] = PasswordHash.Create("secret") };

        Assert.Equal(LoginResult.Accepted, await authenticator.AuthenticateAsync(Header, users, Client, CancellationToken.None));
        Assert.Equal(LoginResult.Accepted, await authenticator.AuthenticateAsync(Header, users, Client, CancellationToken.None));

        // Another route (or a reload) with another password for bob, or without bob: the remembered login is not theirs.
        Assert.Equal(LoginResult.Refused, await authenticator.AuthenticateAsync(Header, new Dictionary<string, string> { ["bob"] = PasswordHash.Create("other") }, Client, CancellationToken.None));
        Assert.Equal(LoginResult.Refused, await authenticator.AuthenticateAsync(Header, new Dictionary<string, string> { ["alice"] = users["bob"] }, Client, CancellationToken.None));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(LoginResult.Accepted, await authenticator.AuthenticateAsync(Header, users, Client, CancellationToken.None));
        Assert.Equal(LoginResult.Refused, await authenticator.AuthenticateAsync("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:wrong")), users, Client, CancellationToken.None));
    }
}
