using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// The spellings of a protected path that a backend reads as that path, sent byte for byte over real TLS (an
/// HttpClient would resolve the dots and re-encode the rest): a path rule and the exploit rules refuse them, and the
/// backend never sees them.
/// </summary>
public sealed class PathSpellingTests(PathSpellingTests.Fixture fixture) : IClassFixture<PathSpellingTests.Fixture>
{
    private static readonly IPAddress Admins = IPAddress.Parse("127.0.0.2");

    [Theory]
    [InlineData("/ecp%20/x")]
    [InlineData("/PowerShell%20/")]
    [InlineData("/owa/../ecp%20/x")]
    [InlineData("/ecp./")]
    [InlineData("/ECP::$DATA/x")]
    [InlineData("/ecp;x/default.aspx")]
    [InlineData("/%5cecp/x")]
    [InlineData("//ecp/x")]
    [InlineData("/ecp%2Fx")]
    [InlineData("/owa/..;/ecp/")]
    [InlineData("/owa%5c..%5cecp/")]
    [InlineData("/owa/%252e%252e/ecp/")]
    [InlineData("/Power%C5%BFhell/")]
    [InlineData("/%EF%BD%85cp/")]
    public async Task A_path_rule_refuses_every_spelling_of_its_path_and_the_backend_sees_none(string target)
    {
        fixture.TakeSeen();
        var (status, _) = await fixture.SendAsync("rules.test", target);

        Assert.Equal(403, status);
        Assert.Empty(fixture.TakeSeen());

        var (inside, _) = await fixture.SendAsync("rules.test", target, from: Admins);
        Assert.NotEqual(403, inside);
        Assert.Single(fixture.TakeSeen());
    }

    [Theory]
    [InlineData("/owa/")]
    [InlineData("/ecpx")]
    [InlineData("/owa/ecp-info")]
    [InlineData("/owa/a%20b.aspx")]
    public async Task Paths_outside_the_rule_are_forwarded(string target)
    {
        fixture.TakeSeen();
        var (status, _) = await fixture.SendAsync("rules.test", target);

        Assert.Equal(200, status);
        Assert.Single(fixture.TakeSeen());
    }

    [Theory]
    [InlineData("//cgi-bin/x", "scanner-paths")]
    [InlineData("/cgi-bin;/x", "scanner-paths")]
    [InlineData("/%5ccgi-bin/x", "scanner-paths")]
    [InlineData("/CGI-BIN/x", "scanner-paths")]
    [InlineData("/cgi-bin::$DATA/x", "scanner-paths")]
    [InlineData("/.git;x/config", "hidden-files")]
    [InlineData("/.env%20", "hidden-files")]
    [InlineData("/.env.", "hidden-files")]
    [InlineData("/.%C5%BFsh/id_rsa", "hidden-files")]
    [InlineData("/x/..;/y", "path-traversal")]
    [InlineData("/x%2F..%2Fy", "path-traversal")]
    [InlineData("/x/%252e%252e/y", "path-traversal")]
    [InlineData("/x%2525252541", "path-evasion")]
    public async Task Exploit_rules_refuse_every_spelling_and_the_backend_sees_none(string target, string rule)
    {
        fixture.TakeSeen();
        var (status, blocked) = await fixture.SendAsync("open.test", target);

        Assert.Equal(403, status);
        Assert.Equal(rule, blocked);
        Assert.Empty(fixture.TakeSeen());
    }

    [Fact]
    public async Task A_normal_request_on_an_exploit_blocking_route_is_forwarded_as_sent()
    {
        fixture.TakeSeen();
        var (status, _) = await fixture.SendAsync("open.test", "/docs/a%20b.html");

        Assert.Equal(200, status);
        Assert.Equal(["/docs/a%20b.html"], fixture.TakeSeen());
    }

    [Theory]
    [InlineData("/admin%20/x")]
    [InlineData("/admin./x")]
    [InlineData("/ADMIN::$DATA/x")]
    [InlineData("/admin;x/y")]
    [InlineData("/%5cadmin/x")]
    [InlineData("//admin/x")]
    [InlineData("/admin%2Fx")]
    [InlineData("/Adm%C4%B1n/x")]
    public async Task A_spelling_that_a_route_with_stricter_access_would_serve_never_reaches_the_host_s_other_route(string target)
    {
        fixture.TakeSeen();
        var (status, _) = await fixture.SendAsync("split.test", target);

        Assert.Equal(400, status);
        Assert.Empty(fixture.TakeSeen());
    }

    [Theory]
    [InlineData("/admin/x", "127.0.0.2", 200)]
    [InlineData("/admin/x", "127.0.0.1", 403)]
    [InlineData("/wiki/Special:Search", "127.0.0.1", 200)]
    [InlineData("/app;jsessionid=1/page", "127.0.0.1", 200)]
    [InlineData("/a%20b/c.", "127.0.0.1", 200)]
    public async Task Spellings_that_every_reading_routes_alike_are_served(string target, string from, int expected)
    {
        var (status, _) = await fixture.SendAsync("split.test", target, from: IPAddress.Parse(from));

        Assert.Equal(expected, status);
    }

    public sealed class Fixture : IAsyncLifetime
    {
        private readonly ConcurrentQueue<string> _seen = new();
        private WebApplication _backend = null!;
        private TestGateway _gateway = null!;

        /// <summary>The request targets the backend received since the last call.</summary>
        public List<string> TakeSeen()
        {
            var seen = new List<string>();
            while (_seen.TryDequeue(out var target))
            {
                seen.Add(target);
            }

            return seen;
        }

        public async Task InitializeAsync()
        {
            var (builder, endPoint) = LoopbackKestrel.CreateBuilder(HttpProtocols.Http1);
            _backend = builder.Build();
            _backend.Run(context =>
            {
                _seen.Enqueue(context.Features.Get<IHttpRequestFeature>()!.RawTarget);
                return context.Response.WriteAsync("ok");
            });
            await _backend.StartAsync();

            var gateway = new JsonObject
            {
                ["Proxy"] = new JsonObject
                {
                    ["Routes"] = new JsonObject
                    {
                        ["rules"] = new JsonObject
                        {
                            ["PathRules"] = new JsonArray(new JsonObject { ["Paths"] = new JsonArray("/ecp", "/PowerShell"), ["AllowedNetworks"] = new JsonArray("127.0.0.2/32") }),
                        },
                        ["open"] = new JsonObject { ["BlockExploits"] = true },
                        ["split-admin"] = new JsonObject { ["Access"] = new JsonArray("allow 127.0.0.2", "deny all") },
                    },
                },
            };
            var proxy = new JsonObject
            {
                ["Routes"] = new JsonObject
                {
                    ["rules"] = Route("rules.test"),
                    ["open"] = Route("open.test"),
                    ["split-site"] = Route("split.test"),
                    ["split-admin"] = new JsonObject
                    {
                        ["ClusterId"] = "app",
                        ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("split.test"), ["Path"] = "/admin/{**rest}" },
                    },
                },
                ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["a1"] = new JsonObject { ["Address"] = $"http://{endPoint()}/" } } } },
            };
            _gateway = await TestGateway.StartAsync(gateway, proxy);
        }

        public async Task DisposeAsync()
        {
            await _gateway.DisposeAsync();
            await _backend.StopAsync();
            await _backend.DisposeAsync();
        }

        /// <summary>Sends <c>GET {target}</c> exactly as written over TLS; returns the status and X-Gateway-Blocked.</summary>
        public async Task<(int Status, string? Blocked)> SendAsync(string host, string target, IPAddress? from = null)
        {
            using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(from ?? IPAddress.Loopback, 0));
            await socket.ConnectAsync(_gateway.Https, guard.Token);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            }, guard.Token);
            await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"), guard.Token);

            var response = new MemoryStream();
            var buffer = new byte[4096];
            int read;
            while ((read = await tls.ReadAsync(buffer, guard.Token)) > 0)
            {
                response.Write(buffer, 0, read);
            }

            var head = Encoding.ASCII.GetString(response.ToArray()).Split("\r\n\r\n")[0].Split("\r\n");
            var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            var blocked = head.Skip(1).FirstOrDefault(line => line.StartsWith("X-Gateway-Blocked:", StringComparison.OrdinalIgnoreCase))?.Split(':', 2)[1].Trim();
            return (status, blocked);
        }

        private static JsonObject Route(string host) => new()
        {
            ["ClusterId"] = "app",
            ["Match"] = new JsonObject { ["Hosts"] = new JsonArray(host), ["Path"] = "{**catch-all}" },
        };
    }
}
