using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// The setup most end-to-end tests share: an "Exchange" TLS backend behind passthrough hosts, a plain
/// HTTP web app behind an L7 host with its own certificate, and a gateway in front of both.
/// </summary>
public sealed class GatewayScenario : IAsyncDisposable
{
    public const string ExchangeHost = "exchange.test";
    public const string WildcardPassthroughHost = "mailbox7.dag.test";
    public const string AppHost = "app.test";

    private GatewayScenario(TestGateway gateway, TestBackend exchange, TestBackend app)
    {
        Gateway = gateway;
        Exchange = exchange;
        App = app;
    }

    public TestGateway Gateway { get; }

    public TestBackend Exchange { get; }

    public TestBackend App { get; }

    public static TestCertificate ExchangeCertificate => TestCertificates.Get(ExchangeHost);

    public static TestCertificate AppCertificate => TestCertificates.Get(AppHost);

    public static async Task<GatewayScenario> StartAsync(JsonObject? clientHello = null, string idleTimeout = "01:00:00")
    {
        var exchange = await TestBackend.StartAsync("exchange", ExchangeCertificate.Certificate);
        var app = await TestBackend.StartAsync("app");
        var gatewaySection = new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["exchange"] = new JsonObject { ["Hosts"] = new JsonArray(ExchangeHost, "autodiscover.test", "*.dag.test"), ["ClusterId"] = "exchange" },
                },
                ["Clusters"] = new JsonObject
                {
                    ["exchange"] = new JsonObject
                    {
                        ["Destinations"] = new JsonObject { ["exchange01"] = new JsonObject { ["Address"] = exchange.Address } },
                        ["IdleTimeout"] = idleTimeout,
                    },
                },
            },
            ["Tls"] = new JsonObject
            {
                ["Certificates"] = new JsonObject
                {
                    [AppHost] = new JsonObject { ["CertificatePath"] = AppCertificate.CertificatePath, ["KeyPath"] = AppCertificate.KeyPath },
                },
            },
        };
        if (clientHello is not null)
        {
            gatewaySection["ClientHello"] = clientHello;
        }

        var reverseProxy = new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } },
            },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
            },
        };
        var gateway = await TestGateway.StartAsync(gatewaySection, reverseProxy);
        return new GatewayScenario(gateway, exchange, app);
    }

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Exchange.DisposeAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One scenario for a whole test class.</summary>
public sealed class GatewayScenarioFixture : IAsyncLifetime
{
    public GatewayScenario Scenario { get; private set; } = null!;

    public async Task InitializeAsync() => Scenario = await GatewayScenario.StartAsync();

    public async Task DisposeAsync() => await Scenario.DisposeAsync();
}
