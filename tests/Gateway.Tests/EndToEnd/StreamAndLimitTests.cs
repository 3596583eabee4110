using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class StreamAndLimitTests
{
    [Fact]
    public async Task A_stream_forwards_a_server_speaks_first_protocol_and_bytes_both_ways()
    {
        await using var smtp = new RawTcpBackend(async socket =>
        {
            await socket.SendAsync("220 mail.test ESMTP ready\r\n"u8.ToArray());
            var line = await NamedBackends.ReadLineAsync(socket);
            await socket.SendAsync(Encoding.ASCII.GetBytes(line.StartsWith("QUIT", StringComparison.Ordinal) ? "221 bye\r\n" : "500 what\r\n"));
        });
        var gatewaySection = new JsonObject
        {
            ["Passthrough"] = new JsonObject
            {
                ["Clusters"] = new JsonObject { ["smtp"] = new JsonObject { ["Destinations"] = new JsonObject { ["mx"] = new JsonObject { ["Address"] = smtp.Address } } } },
                ["Streams"] = new JsonObject { ["smtp"] = new JsonObject { ["Listen"] = "127.0.0.1:0", ["ClusterId"] = "smtp" } },
            },
        };
        await using var gateway = await TestGateway.StartAsync(gatewaySection);
        var endpoint = gateway.Services.GetRequiredService<GatewayListeners>().Stream("smtp")!;

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endpoint);
        Assert.Equal("220 mail.test ESMTP ready\r", await NamedBackends.ReadLineAsync(client)); // nothing sent first
        await client.SendAsync("QUIT\r\n"u8.ToArray());
        Assert.Equal("221 bye\r", await NamedBackends.ReadLineAsync(client));
    }

    [Fact]
    public async Task MaxConnections_refuses_exactly_over_the_limit_and_leaves_open_tunnels_alone()
    {
        await using var backends = new NamedBackends("a");
        var section = backends.Gateway();
        section["Limits"] = new JsonObject { ["MaxConnections"] = 3 };
        await using var gateway = await TestGateway.StartAsync(section);
        using var probe = new ConnectionOutcomeProbe(gateway);

        var held = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var (socket, backend) = await NamedBackends.ConnectAsync(gateway.Https);
            Assert.Equal("a", backend);
            held.Add(socket);
        }

        Assert.Equal("(closed)", await NamedBackends.WhichBackendAsync(gateway.Https));
        await Poll.UntilAsync(() => probe["refused-limit"] == 1, "the refusal is counted");
        foreach (var socket in held)
        {
            await ReloadTests.AssertEchoAsync(socket, "still open"u8.ToArray());
        }

        held[0].Dispose();

        // The tunnel ends first, then its connection gives its slot back: the slot is what the next client needs.
        var limiter = gateway.Services.GetRequiredService<ConnectionLimiter>();
        await Poll.UntilAsync(() => gateway.ActiveTunnels == 2 && limiter.Open == 2, "a slot is free");
        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https));
        held.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task MaxConnectionsPerClientIp_counts_each_address_separately()
    {
        await using var backends = new NamedBackends("a");
        var section = backends.Gateway();
        section["Limits"] = new JsonObject { ["MaxConnectionsPerClientIp"] = 2 };
        await using var gateway = await TestGateway.StartAsync(section);

        var (one, _) = await NamedBackends.ConnectAsync(gateway.Https, "127.0.0.2");
        var (two, _) = await NamedBackends.ConnectAsync(gateway.Https, "127.0.0.2");

        Assert.Equal("(closed)", await NamedBackends.WhichBackendAsync(gateway.Https, "127.0.0.2"));
        Assert.Equal("a", await NamedBackends.WhichBackendAsync(gateway.Https, "127.0.0.3"));
        one.Dispose();
        two.Dispose();
    }

    [Fact]
    public async Task A_clusters_MaxConnections_refuses_its_own_tunnels_only()
    {
        await using var backends = new NamedBackends("a");
        await using var gateway = await TestGateway.StartAsync(backends.Gateway(new JsonObject { ["MaxConnections"] = 1 }));

        var (held, _) = await NamedBackends.ConnectAsync(gateway.Https);

        Assert.Equal("(closed)", await NamedBackends.WhichBackendAsync(gateway.Https));
        held.Dispose();
        // The cluster's slot is given back after the tunnel has left the count of active ones (seen on .NET's socket
        // engine in a full run): a new tunnel is tried until it gets the slot, or the poll gives up.
        await Poll.UntilAsync(async () => await NamedBackends.WhichBackendAsync(gateway.Https) == "a", TimeSpan.FromSeconds(10), "the freed slot takes a new tunnel");
    }

    [Fact]
    public async Task On_stop_open_tunnels_finish_and_new_connections_are_refused()
    {
        await using var backends = new NamedBackends("a");
        var section = backends.Gateway();
        section["ShutdownTimeout"] = "00:00:20";
        var gateway = await TestGateway.StartAsync(section);
        var (tunnel, _) = await NamedBackends.ConnectAsync(gateway.Https);
        var https = gateway.Https;

        var stopping = gateway.StopAsync();
        await Poll.UntilAsync(() => !CanConnect(https), "the listener stops accepting");
        await ReloadTests.AssertEchoAsync(tunnel, "finishing my work"u8.ToArray());
        Assert.False(stopping.IsCompleted, "the gateway stopped with a tunnel open");

        tunnel.Shutdown(SocketShutdown.Send);
        await TunnelTests.WaitForCloseAsync(tunnel);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        tunnel.Dispose();
        await gateway.DisposeAsync();
    }

    [Fact]
    public async Task On_stop_tunnels_still_open_after_ShutdownTimeout_are_closed()
    {
        await using var backends = new NamedBackends("a");
        var section = backends.Gateway();
        section["ShutdownTimeout"] = "1s";
        var gateway = await TestGateway.StartAsync(section);
        var (tunnel, _) = await NamedBackends.ConnectAsync(gateway.Https);

        var stopping = gateway.StopAsync();
        await TunnelTests.WaitForCloseAsync(tunnel);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        tunnel.Dispose();
        await gateway.DisposeAsync();
    }

    private static bool CanConnect(IPEndPoint endpoint)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
