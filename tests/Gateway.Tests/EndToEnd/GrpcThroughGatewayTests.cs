using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Grpc.Core;
using Grpc.Net.Client;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// gRPC on the L7 path: the client speaks h2 over TLS that the gateway terminates, and YARP forwards over h2c to a
/// backend that speaks nothing else.
/// </summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class GrpcThroughGatewayTests
{
    private const string Host = "grpc.test";

    [Fact]
    public async Task A_unary_call_reaches_an_h2c_backend_through_yarp()
    {
        await using var backend = await GrpcBackend.StartAsync();
        await using var gateway = await StartGatewayAsync(backend.Address);
        using var client = new GatewayClient(gateway.Https, version: HttpVersion.Version20);
        using var channel = Channel(client);

        var reply = await new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "hello" });

        Assert.Equal("hello proto=https", reply.Text);
    }

    [Fact]
    public async Task A_server_stream_delivers_every_message_and_the_trailers()
    {
        await using var backend = await GrpcBackend.StartAsync();
        await using var gateway = await StartGatewayAsync(backend.Address);
        using var client = new GatewayClient(gateway.Https, version: HttpVersion.Version20);
        using var channel = Channel(client);

        using var call = new Echo.EchoClient(channel).Count(new CountRequest { Count = 500 });
        var numbers = new List<int>();
        await foreach (var reply in call.ResponseStream.ReadAllAsync())
        {
            numbers.Add(reply.Number);
        }

        Assert.Equal(Enumerable.Range(1, 500), numbers);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("500", call.GetTrailers().GetValue("x-counted"));
    }

    [Fact]
    public async Task A_call_to_a_backend_that_is_down_fails_as_unavailable()
    {
        using var down = new ClosedPort();
        await using var gateway = await StartGatewayAsync(down.Address);
        using var client = new GatewayClient(gateway.Https, version: HttpVersion.Version20);
        using var channel = Channel(client);

        // The deadline turns a hang into DeadlineExceeded, so a hang fails the assertion instead of the run.
        var call = new Echo.EchoClient(channel).SayAsync(new EchoRequest { Text = "anyone?" }, deadline: DateTime.UtcNow.AddSeconds(30));
        var failure = await Assert.ThrowsAsync<RpcException>(async () => await call);

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
    }

    /// <summary>GatewayClient's HTTP/2 handler does TLS itself, so SNI and ALPN come from the https URL.</summary>
    private static GrpcChannel Channel(GatewayClient client) =>
        GrpcChannel.ForAddress(client.Url(Host), new GrpcChannelOptions { HttpClient = client.Http });

    private static Task<TestGateway> StartGatewayAsync(string backendAddress) =>
        TestGateway.StartAsync(reverseProxy: new JsonObject
        {
            ["Routes"] = new JsonObject
            {
                ["grpc"] = new JsonObject { ["ClusterId"] = "grpc", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray(Host) } },
            },
            ["Clusters"] = new JsonObject
            {
                ["grpc"] = new JsonObject
                {
                    // Prior-knowledge h2c: over cleartext, anything but Exact would fall back to HTTP/1.1.
                    ["HttpRequest"] = new JsonObject { ["Version"] = "2", ["VersionPolicy"] = "RequestVersionExact" },
                    ["Destinations"] = new JsonObject { ["grpc01"] = new JsonObject { ["Address"] = $"http://{backendAddress}/" } },
                },
            },
        });
}
