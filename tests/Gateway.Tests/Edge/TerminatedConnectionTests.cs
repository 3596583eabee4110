using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Edge;

/// <summary>How a connection the edge terminates (Kestrel's, on the edge's loop) ends, seen from the client and the log.</summary>
[Trait(BothEngines.Trait, BothEngines.Value)]
public sealed class TerminatedConnectionTests
{
    private const string AppHost = "app.test";

    /// <summary>
    /// Sizes around the 16 KiB blocks Kestrel encrypts one by one (and the 4 KiB they were), and the 64 KiB a send
    /// gathers, read at full speed and by a client that reads slowly (so sends wait for room): every byte arrives, in order.
    /// </summary>
    [Theory]
    [InlineData(4_095, false)]
    [InlineData(4_096, false)]
    [InlineData(4_097, false)]
    [InlineData(10_240, false)]
    [InlineData(16_383, false)]
    [InlineData(16_384, false)]
    [InlineData(16_385, false)]
    [InlineData(65_536 + 7, false)]
    [InlineData(1_048_576 + 1, false)]
    [InlineData(3 * 1_048_576, true)]
    public async Task A_large_answer_arrives_whole(int bytes, bool slowReader)
    {
        await using var app = await TestBackend.StartAsync("app");
        await using var gateway = await StartAsync(app, null);
        using var client = HostClient.Create(gateway.Https, AppHost);
        using var response = await client.GetAsync(new Uri($"/big?bytes={bytes}", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var received = new byte[bytes];
        var read = 0;
        while (read < bytes)
        {
            var count = await body.ReadAsync(received.AsMemory(read, Math.Min(slowReader ? 1_000 : 64 * 1024, bytes - read)));
            Assert.NotEqual(0, count);
            read += count;
            if (slowReader && read % 100_000 < 1_000)
            {
                await Task.Delay(20);
            }
        }

        Assert.Equal(0, await body.ReadAsync(new byte[1]));
        var expected = new byte[bytes];
        BigPayload.Fill(expected, 0);
        Assert.True(expected.AsSpan().SequenceEqual(received), "the answer's bytes differ from what the backend sent");
    }

    /// <summary>A large answer leaves in records of 16 KiB, the largest TLS allows, as nginx's do, not one per 4 KiB block.</summary>
    [Fact]
    public async Task A_large_answer_leaves_in_full_size_TLS_records()
    {
        const int Bytes = 1_048_576;
        await using var app = await TestBackend.StartAsync("app");
        await using var gateway = await StartAsync(app, null);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(gateway.Https);
        var records = new TlsRecordCounter(new NetworkStream(socket, ownsSocket: false));
        await using var tls = new SslStream(records);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = AppHost,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        });
        var before = records.ApplicationData;
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /big?bytes={Bytes} HTTP/1.1\r\nHost: {AppHost}\r\nConnection: close\r\n\r\n"));
        var buffer = new byte[64 * 1024];
        long read = 0;
        for (int count; (count = await tls.ReadAsync(buffer)) > 0;)
        {
            read += count;
        }

        Assert.True(read > Bytes, $"{read} bytes read");
        var sent = records.ApplicationData - before;

        // 64 records at 16 KiB; 256 and more at 4 KiB. Headers and the answer's first and last records add a few.
        Assert.True(sent <= 80, $"the answer came in {sent} records (largest {records.Largest} bytes)");
        Assert.Equal(16 * 1024 + 17, records.Largest); // a TLS 1.3 record: 16 KiB, its type byte and its 16-byte tag
    }

    [Fact]
    public async Task A_client_that_resets_in_the_middle_of_a_large_answer_is_not_an_error()
    {
        await using var app = await TestBackend.StartAsync("app");
        var logs = new CapturedLogs();
        await using var gateway = await StartAsync(app, logs);
        using var active = new CounterProbe(gateway, "kestrel.active_connections");

        for (var i = 0; i < 3; i++)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(gateway.Https);
            await using (var tls = new SslStream(new NetworkStream(socket, ownsSocket: false)))
            {
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = AppHost,
                    RemoteCertificateValidationCallback = (_, _, _, _) => true,
                });
                await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET /big?bytes={256 * 1024 * 1024} HTTP/1.1\r\nHost: {AppHost}\r\n\r\n"));
                var buffer = new byte[64 * 1024];
                for (long read = 0; read < 1024 * 1024;)
                {
                    var count = await tls.ReadAsync(buffer);
                    Assert.NotEqual(0, count);
                    read += count;
                }

                // A reset, with the rest of the answer still on its way.
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }
        }

        await Poll.UntilAsync(() => active.Total == 0, "Kestrel is done with the reset connections", TimeSpan.FromSeconds(10));
        Assert.Empty(logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{e.Category}: {e.Message}"));
    }

    /// <summary>Counts the TLS records that arrive, from their 5-byte headers, as a client reads them.</summary>
    private sealed class TlsRecordCounter(Stream inner) : PassThroughStream(inner)
    {
        private readonly byte[] _header = new byte[5];
        private int _headerRead;
        private int _bodyLeft;

        public int ApplicationData { get; private set; }

        public int Largest { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = await Inner.ReadAsync(buffer, cancellationToken);
            Count(buffer.Span[..count]);
            return count;
        }

        private void Count(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_bodyLeft > 0)
                {
                    var skip = Math.Min(_bodyLeft, bytes.Length);
                    _bodyLeft -= skip;
                    bytes = bytes[skip..];
                    continue;
                }

                _header[_headerRead++] = bytes[0];
                bytes = bytes[1..];
                if (_headerRead == _header.Length)
                {
                    _headerRead = 0;
                    _bodyLeft = (_header[3] << 8) | _header[4];
                    if (_header[0] == 23)
                    {
                        ApplicationData++;
                        Largest = Math.Max(Largest, _bodyLeft);
                    }
                }
            }
        }
    }

    private static async Task<TestGateway> StartAsync(TestBackend app, CapturedLogs? logs)
    {
        var certificate = TestCertificates.Get(AppHost);
        var gatewaySection = new JsonObject
        {
            ["Tls"] = new JsonObject
            {
                ["Certificates"] = new JsonObject
                {
                    [AppHost] = new JsonObject { ["CertificatePath"] = certificate.CertificatePath, ["KeyPath"] = certificate.KeyPath },
                },
            },
        };
        var reverseProxy = new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Path"] = "{**catch-all}" } } },
            ["Clusters"] = new JsonObject
            {
                ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["app01"] = new JsonObject { ["Address"] = $"http://{app.Address}/" } } },
            },
        };
        var directory = Directory.CreateTempSubdirectory("gateway-terminated-").FullName;
        await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(gatewaySection, reverseProxy));
        return await TestGateway.StartInAsync(directory, null, logs);
    }
}
