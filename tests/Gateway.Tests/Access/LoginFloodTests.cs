using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Tests.Admin;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Access;

/// <summary>
/// One address guessing passwords as fast as it can, over many connections at once, against a route with users:
/// it is throttled (429, no password checked) after a few failures, and other clients' correct passwords keep working.
/// </summary>
public sealed class LoginFloodTests : IAsyncLifetime
{
    private const string Host = "login.test";
    private static readonly string[] Users = ["alice", "bob", "carol"];

    private TestBackend _backend = null!;
    private TestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("app");
        var users = new JsonObject();
        foreach (var user in Users)
        {
            users[user] = new JsonObject { ["PasswordHash"] = PasswordHash.Create(user + "-password") };
        }

        var gateway = new JsonObject { ["Proxy"] = new JsonObject { ["Routes"] = new JsonObject { ["login"] = new JsonObject { ["Users"] = users } } } };
        var proxy = JsonNode.Parse($$"""
            {
              "Routes": { "login": { "ClusterId": "app", "Match": { "Hosts": [ "{{Host}}" ], "Path": "{**catch-all}" } } },
              "Clusters": { "app": { "Destinations": { "d1": { "Address": "http://{{_backend.Address}}/" } } } }
            }
            """)!.AsObject();
        _gateway = await TestGateway.StartAsync(gateway, proxy);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task A_guessing_address_is_throttled_and_other_clients_log_in_meanwhile()
    {
        const int Connections = 40;
        const int GuessesEach = 8;
        var statuses = new Dictionary<HttpStatusCode, int>();
        var flood = Task.WhenAll(Enumerable.Range(0, Connections).Select(c => Task.Run(async () =>
        {
            using var guesser = HostClient.Create(_gateway.Https, Host, from: IPAddress.Parse("127.0.0.2"));
            for (var i = 0; i < GuessesEach; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = Basic(Users[i % Users.Length], $"guess-{c}-{i}") } };
                using var response = await guesser.SendAsync(request);
                lock (statuses)
                {
                    statuses[response.StatusCode] = statuses.GetValueOrDefault(response.StatusCode) + 1;
                }
            }
        })));

        // Meanwhile, from another address, every user logs in with the right password, each checked afresh.
        using var honest = HostClient.Create(_gateway.Https, Host, from: IPAddress.Parse("127.0.0.3"));
        foreach (var user in Users)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Authorization = Basic(user, user + "-password") } };
            using var response = await honest.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await flood;

        // A few wrong guesses are checked (and answered 401 after the delay); the rest are refused unchecked.
        Assert.Equal(Connections * GuessesEach, statuses.Values.Sum());
        Assert.InRange(statuses.GetValueOrDefault(HttpStatusCode.Unauthorized), LoginThrottleFloor, 40);
        Assert.Equal(Connections * GuessesEach - statuses[HttpStatusCode.Unauthorized], statuses[HttpStatusCode.TooManyRequests]);
        using var admin = new HttpClient();
        var samples = MetricsTests.Parse(await admin.GetStringAsync(new Uri($"http://{_gateway.Admin}/metrics")));
        Assert.Equal(statuses[HttpStatusCode.TooManyRequests], MetricsTests.Value(samples, "gateway_auth_throttled_total", ("realm", "login")));
    }

    // The free failures: at least this many guesses are really checked before the address is locked.
    private const int LoginThrottleFloor = Gateway.Access.LoginThrottle.FreeFailures;

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
