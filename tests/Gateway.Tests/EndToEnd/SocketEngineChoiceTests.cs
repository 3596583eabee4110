using System.Net;
using Gateway.Core;
using Gateway.Sockets;
using Gateway.Sockets.Epoll;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>Each gateway is given its socket engine; the test environment picks the one the end-to-end tests run on.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class SocketEngineChoiceTests
{
    [Fact]
    public async Task A_test_gateway_runs_on_the_engine_the_test_environment_names()
    {
        await using var gateway = await TestGateway.StartAsync();

        var engine = gateway.Services.GetRequiredService<SocketEngine>();
        if (Environment.GetEnvironmentVariable("GATEWAY_TEST_SOCKET_ENGINE") == "dotnet")
        {
            Assert.IsType<DotNetSocketEngine>(engine);
        }
        else
        {
            Assert.IsType<EpollEngine>(engine); // the best one on Linux, as for an operator who sets nothing
        }

        Assert.Same(SocketEngines.Shared(Environment.GetEnvironmentVariable("GATEWAY_TEST_SOCKET_ENGINE")), engine);
    }

    [Theory]
    [MemberData(nameof(LoopbackSockets.Engines), MemberType = typeof(LoopbackSockets))]
    public async Task Gateways_on_either_engine_tunnel_and_terminate_side_by_side(string name)
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartOnAsync(SocketEngines.Shared(name), backends.Gateway());
        await using var other = await TestGateway.StartOnAsync(SocketEngines.Shared(name == "epoll" ? "dotnet" : "epoll"), backends.Gateway());

        Assert.Same(SocketEngines.Shared(name), gateway.Services.GetRequiredService<SocketEngine>());
        foreach (var running in (TestGateway[])[gateway, other])
        {
            Assert.Equal("a", await NamedBackends.WhichBackendAsync(running.Https));

            // The plain-HTTP listener: the edge hands the connection to Kestrel, which answers over the engine's socket.
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.GetAsync(new Uri($"http://{running.Http}/"));
            Assert.Equal(HttpStatusCode.PermanentRedirect, response.StatusCode); // to HTTPS
        }
    }
}
