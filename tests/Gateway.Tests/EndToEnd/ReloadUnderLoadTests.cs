using System.Net;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

public sealed class ReloadUnderLoadTests
{
    private const int Reloads = 100;

    [Fact]
    public async Task A_hundred_reloads_under_load_drop_no_request_and_no_tunnel()
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var echo = new RawTcpBackend(async socket =>
        {
            var buffer = new byte[4096];
            int count;
            while ((count = await socket.ReceiveAsync(buffer)) > 0)
            {
                await socket.SendAsync(buffer.AsMemory(0, count));
            }
        });
        var certificates = new[] { TestCertificates.Get("a.reload.test"), TestCertificates.Get("b.reload.test") };
        await using var gateway = await TestGateway.StartAsync(Gateway(0), Proxy(0));

        // Held open through every reload: tunnels on a route that stays, tunnels on a route removed at once.
        var stableTunnels = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ReloadTests.OpenTunnelAsync(gateway, "stable.test")));
        var orphanTunnels = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => ReloadTests.OpenTunnelAsync(gateway, "orphan.test")));

        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        long requests = 0;
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var client = new GatewayClient(gateway.Https);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.Http.GetAsync(client.Url("app.test"));
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK || !body.StartsWith("app ", StringComparison.Ordinal))
                    {
                        lock (failures)
                        {
                            failures.Add($"{(int)response.StatusCode} {body}");
                        }
                    }

                    Interlocked.Increment(ref requests);
                }
                catch (HttpRequestException e)
                {
                    lock (failures)
                    {
                        failures.Add(e.Message);
                    }
                }
            }
        })).ToList();

        for (var i = 1; i <= Reloads; i++)
        {
            await gateway.WriteConfigAsync(Gateway(i), Proxy(i));
            // A generous bound: how fast a reload applies is measured in docs/benchmarks.md, not asserted on a busy machine.
            await Poll.UntilAsync(() => gateway.Generations.Current.Number == i + 1, $"reload {i} is applied", TimeSpan.FromSeconds(20));

            // The new passthrough route, the new L7 route and the certificate of this generation all serve.
            using (var tunnel = await ReloadTests.OpenTunnelAsync(gateway, $"p{i}.test"))
            {
                await ReloadTests.AssertEchoAsync(tunnel, "new route"u8.ToArray());
            }

            using (var client = new GatewayClient(gateway.Https))
            {
                var body = await client.Http.GetStringAsync(client.Url($"a{i}.test"));
                Assert.StartsWith("app ", body);
                Assert.Equal(certificates[i % 2].Thumbprint, client.ServerCertificateThumbprint);
            }

            var message = BitConverter.GetBytes(i);
            foreach (var tunnel in stableTunnels.Concat(orphanTunnels))
            {
                await ReloadTests.AssertEchoAsync(tunnel, message);
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref requests) > Reloads, $"only {requests} requests ran during the reloads");
        Assert.Equal(10, gateway.ActiveTunnels);

        // One generation per save: a reload whose certificates differ from the last one's reads nothing twice (a second
        // generation of the same file once made "reload i is applied" true before the save of i was read).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(Reloads + 1, gateway.Generations.Current.Number);
        foreach (var tunnel in stableTunnels.Concat(orphanTunnels))
        {
            tunnel.Dispose();
        }

        JsonObject Gateway(int generation)
        {
            var routes = new JsonObject
            {
                ["stable"] = new JsonObject { ["Hosts"] = new JsonArray("stable.test"), ["ClusterId"] = $"echo{generation % 3}" },
                [$"p{generation}"] = new JsonObject { ["Hosts"] = new JsonArray($"p{generation}.test"), ["ClusterId"] = $"echo{generation % 3}" },
            };
            if (generation == 0)
            {
                routes["orphan"] = new JsonObject { ["Hosts"] = new JsonArray("orphan.test"), ["ClusterId"] = "echo0" };
            }

            var clusters = new JsonObject();
            for (var c = 0; c < 3; c++)
            {
                clusters[$"echo{c}"] = new JsonObject
                {
                    ["Destinations"] = new JsonObject { ["d"] = new JsonObject { ["Address"] = echo.Address } },
                    ["IdleTimeout"] = $"{10 + generation}m",
                };
            }

            var certificate = certificates[generation % 2];
            return new JsonObject
            {
                ["Passthrough"] = new JsonObject { ["Routes"] = routes, ["Clusters"] = clusters },
                ["Tls"] = new JsonObject
                {
                    ["Certificates"] = new JsonObject
                    {
                        [$"a{generation}.test"] = new JsonObject { ["CertificatePath"] = certificate.CertificatePath, ["KeyPath"] = certificate.KeyPath },
                    },
                },
            };
        }

        JsonObject Proxy(int generation) => new()
        {
            ["Routes"] = new JsonObject
            {
                ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.test"), ["Path"] = "{**catch-all}" } },
                [$"a{generation}"] = new JsonObject { ["ClusterId"] = $"app{generation}", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray($"a{generation}.test"), ["Path"] = "{**catch-all}" } },
            },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
                [$"app{generation}"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
            },
        };
    }
}
