using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Gateway.AccessLog;
using Gateway.Configuration;
using Gateway.Metrics;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.AccessLog;

/// <summary>The writer's per-thread buffers under contention: every line arrives whole or is counted as dropped.</summary>
public sealed class AccessLogWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gateway-access-writer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Lines_from_many_threads_while_the_writer_takes_them_arrive_whole_in_order_per_thread_or_are_counted()
    {
        const int Threads = 8;
        const int Lines = 25_000;
        var path = Path.Combine(_directory, "access.log");
        var (writer, dropped) = await WriterAsync(path);
        using var disposeWriter = writer;
        using var disposeDropped = dropped;
        await writer.StartAsync(CancellationToken.None);

        // Dedicated threads, so each has its own shard for sure; the writer takes lines every 200 ms meanwhile.
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var n = 0; n < Lines; n++)
            {
                writer.Write(new AccessLogEntry
                {
                    Time = DateTimeOffset.UtcNow,
                    ClientAddress = IPAddress.Loopback,
                    ClientPort = 40_000 + t,
                    Method = "GET",
                    Target = string.Create(CultureInfo.InvariantCulture, $"/t{t}/{n}"),
                    Protocol = "HTTP/1.1",
                    Status = 200,
                    Duration = TimeSpan.FromMilliseconds(1),
                });
                if (n % 1000 == 0)
                {
                    Thread.Sleep(1);
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        await writer.StopAsync(CancellationToken.None);

        var next = new int[Threads];
        var written = 0;
        foreach (var line in await File.ReadAllLinesAsync(path))
        {
            var fields = line.Split(' ');
            Assert.True(fields.Length > 12 && fields[0] == "127.0.0.1" && fields[5] == "\"GET" && fields[7] == "HTTP/1.1\"" && fields[8] == "200", line);
            var target = fields[6].Split('/');
            var thread = int.Parse(target[1][1..], CultureInfo.InvariantCulture);
            var n = int.Parse(target[2], CultureInfo.InvariantCulture);
            Assert.Contains($"client_port={40_000 + thread} ", line, StringComparison.Ordinal);
            Assert.True(n >= next[thread], $"thread {thread}: line {n} after line {next[thread] - 1}");
            next[thread] = n + 1;
            written++;
        }

        Assert.Equal(Threads * Lines, written + dropped.Total);
        Assert.True(written >= Lines, $"only {written} lines written, {dropped.Total} dropped");
    }

    [Fact]
    public async Task A_flood_the_writer_does_not_take_is_dropped_and_counted_past_the_bound_without_waiting()
    {
        // The writer is not running: nothing takes the lines, as with a sink that stalls. Every line past the bound
        // (16 MiB of buffers) must be dropped and counted, and writing must go on without waiting.
        const int Lines = 400_000;
        var path = Path.Combine(_directory, "access.log");
        var (writer, dropped) = await WriterAsync(path);
        using var disposeWriter = writer;
        using var disposeDropped = dropped;

        var target = new string('x', 100);
        for (var n = 0; n < Lines; n++)
        {
            writer.Write(new AccessLogEntry { Time = DateTimeOffset.UtcNow, ClientAddress = IPAddress.Loopback, Method = "GET", Target = target, Duration = TimeSpan.Zero });
        }

        Assert.True(dropped.Total > 0, "nothing was dropped: the bound did not hold");

        // Once the writer runs, what was kept is written: kept and dropped add up, and kept stays within the bound.
        await writer.StartAsync(CancellationToken.None);
        var written = 0L;
        await Poll.UntilAsync(() => (written = File.Exists(path) ? File.ReadLines(path).LongCount() : 0) + dropped.Total == Lines,
            "the kept lines are written", TimeSpan.FromSeconds(30));
        await writer.StopAsync(CancellationToken.None);
        Assert.True(new FileInfo(path).Length <= 256L * 68 * 1024, $"{new FileInfo(path).Length} bytes were held for the writer, past 256 buffers");
    }

    [Fact]
    public async Task Lines_written_as_the_host_stops_and_after_the_writer_stopped_are_written_before_the_file_closes()
    {
        // A host stopped at once may stop the writer before its loop ever ran, and requests and tunnels that end while
        // the server and the edge drain write after the writer stopped: neither may lose its lines.
        var path = Path.Combine(_directory, "access.log");
        var (writer, dropped) = await WriterAsync(path);
        using var disposeDropped = dropped;
        void Write(string target) => writer.Write(new AccessLogEntry
        {
            Time = DateTimeOffset.UtcNow,
            ClientAddress = IPAddress.Loopback,
            Method = "GET",
            Target = target,
            Status = 200,
            Duration = TimeSpan.Zero,
        });

        for (var n = 0; n < 10; n++)
        {
            Write($"/before-stop/{n}");
        }

        await writer.StartAsync(CancellationToken.None);
        await writer.StopAsync(CancellationToken.None);
        for (var n = 0; n < 10; n++)
        {
            Write($"/after-stop/{n}");
        }

        writer.Dispose();
        writer.Dispose();

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(0, dropped.Total);
        Assert.Equal(
            Enumerable.Range(0, 10).Select(n => $"/before-stop/{n}").Concat(Enumerable.Range(0, 10).Select(n => $"/after-stop/{n}")),
            lines.Select(line => line.Split(' ')[6]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_the_log_off_a_request_passes_its_step_without_a_state_machine_of_its_own(bool enabled)
    {
        var (writer, dropped) = await WriterAsync(Path.Combine(_directory, "access.log"), enabled);
        using var disposeWriter = writer;
        using var disposeDropped = dropped;
        var rest = new TaskCompletionSource();
        var step = new AccessLogMiddleware(_ => rest.Task, writer);

        var passed = step.InvokeAsync(new Microsoft.AspNetCore.Http.DefaultHttpContext());

        // The rest of the pipeline's own task, or one that waits for it to write the line.
        Assert.Equal(!enabled, ReferenceEquals(rest.Task, passed));
        rest.SetResult();
        await passed;
    }

    /// <summary>A writer to <paramref name="path"/>, not started, and a probe on its dropped-lines counter.</summary>
    private async Task<(AccessLogWriter Writer, CounterProbe Dropped)> WriterAsync(string path, bool enabled = true)
    {
        var (generation, errors) = await ConfigUnderTest.BuildAsync(
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Gateway:AccessLog:Path"] = path,
                ["Gateway:AccessLog:Enabled"] = enabled ? "true" : "false",
            }).Build(), _directory);
        Assert.Empty(errors);
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        return (new AccessLogWriter(new GenerationStore(generation!), new GatewayMetrics(meters), TimeProvider.System, NullLogger<AccessLogWriter>.Instance),
            new CounterProbe(meters, "gateway.access_log.dropped"));
    }
}
