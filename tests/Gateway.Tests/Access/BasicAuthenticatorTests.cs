using System.Text;
using Gateway.Access;
using Gateway.Admin;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Access;

public sealed class BasicAuthenticatorTests
{
    private static readonly string Header = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:secret"));

    [Fact]
    public async Task A_remembered_login_counts_only_for_the_same_user_and_hash_and_only_for_a_minute()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var authenticator = new BasicAuthenticator(time);
        var users = new Dictionary<string, string> { ["bob"] = PasswordHash.Create("secret") };

        Assert.True(await authenticator.AuthenticateAsync(Header, users, CancellationToken.None));
        Assert.True(await authenticator.AuthenticateAsync(Header, users, CancellationToken.None));

        // Another route (or a reload) with another password for bob, or without bob: the remembered login is not theirs.
        Assert.False(await authenticator.AuthenticateAsync(Header, new Dictionary<string, string> { ["bob"] = PasswordHash.Create("other") }, CancellationToken.None));
        Assert.False(await authenticator.AuthenticateAsync(Header, new Dictionary<string, string> { ["alice"] = users["bob"] }, CancellationToken.None));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await authenticator.AuthenticateAsync(Header, users, CancellationToken.None));
        Assert.False(await authenticator.AuthenticateAsync("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:wrong")), users, CancellationToken.None));
    }
}
