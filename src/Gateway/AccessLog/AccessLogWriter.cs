using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Metrics;

namespace Gateway.AccessLog;

/// <summary>
/// Writes the access log off the I/O threads. A request or tunnel formats its line at once into its thread's
/// <see cref="AccessLogShard"/> and goes on; one background loop takes the shards' lines every 200 ms and writes them.
/// When the sink cannot keep up, lines are dropped and counted, never waited for. A file is reopened when it was moved
/// or truncated by a rotation (logrotate's create or copytruncate), and on SIGHUP.
/// </summary>
/// <remarks>
/// Lines are in time order per thread. Across threads, the lines of one 200 ms pause may be out of order, as with
/// nginx's buffered access log and several workers. docs/benchmarks.md#what-the-access-log-costs says why: an entry
/// queued for the writer outlived its request, and its gen0 collections.
/// </remarks>
internal sealed partial class AccessLogWriter : BackgroundService
{
    /// <summary>A shard hands its buffer over at this size; a file takes lines in writes of this size.</summary>
    private const int Batch = 64 * 1024;

    /// <summary>Writes to standard output stay under PIPE_BUF, so a console log line never lands inside an access line.</summary>
    private const int PipeBuffer = 4096;

    /// <summary>
    /// Buffers in use at most, waiting or being filled: 16 MiB, some 200,000 lines, seconds of a busy gateway's lines.
    /// Past that, lines are dropped.
    /// </summary>
    private const int MaxBuffers = 256;

    /// <summary>Written buffers kept for reuse; after a burst the others go to the collector.</summary>
    private const int PooledBuffers = 16;

    private static readonly TimeSpan RotationCheck = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the writer takes the lines gathered: one wake-up and one write per pause, not per request, on the
    /// cores the proxy runs on. nginx's buffered access_log does the same with its flush time.
    /// </summary>
    private static readonly TimeSpan GatherPause = TimeSpan.FromMilliseconds(200);

    // Per writer, not [ThreadStatic]: the shards of two gateways in one process (tests) must not mix their lines.
    private readonly ThreadLocal<AccessLogShard> _shards = new(() => new AccessLogShard(), trackAllValues: true);
    private readonly List<ArrayBufferWriter<byte>> _taken = [];
    private readonly Lock _draining = new();
    private readonly ConcurrentQueue<ArrayBufferWriter<byte>> _pool = new();
    private int _buffers;

    private readonly GenerationStore _generations;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Stream? _console;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private string? _sinkPath;
    private volatile bool _reopen;
    private bool _failing;
    private PosixSignalRegistration? _hangUp;
    private bool _disposed;

    public AccessLogWriter(GenerationStore generations, GatewayMetrics metrics, TimeProvider time, ILogger<AccessLogWriter> logger)
    {
        _generations = generations;
        _metrics = metrics;
        _time = time;
        _logger = logger;
    }

    /// <summary>Read per request: an edit of Gateway:AccessLog:Enabled applies with its generation.</summary>
    public bool Enabled => _generations.Current.Get<AccessLogConfig>().Enabled;

    public TimeProvider Time => _time;

    /// <summary>Formats <paramref name="entry"/> into this thread's shard; with every buffer in use it is dropped and counted.</summary>
    public void Write(in AccessLogEntry entry)
    {
        var format = _generations.Current.Get<AccessLogConfig>().Format;
        var shard = _shards.Value!;
        lock (shard)
        {
            var lines = shard.Lines ??= Rent();
            if (lines is null)
            {
                _metrics.AccessLogDropped();
                return;
            }

            shard.Line.Write(entry, format, lines);
            if (lines.WrittenCount >= Batch)
            {
                shard.Full.Enqueue(lines);
                shard.Lines = null;
            }
        }
    }

    /// <summary>Stops the loop, then takes what it left.</summary>
    /// <remarks>
    /// .NET starts <see cref="ExecuteAsync"/> through <c>Task.Run</c> with the stop token: a host stopped before the loop
    /// ever ran skips the loop's last drain, and the lines written until then with it.
    /// </remarks>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Drain();
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _hangUp?.Dispose();

        // Lines written after the writer stopped, by requests and tunnels that ended while the server and the edge
        // drained their connections, go out before the file closes.
        Drain();
        CloseSink();

        // The shards stay: a request that ends after the writer stopped still formats into its shard. Their JSON
        // writers hold nothing but memory.
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            // logrotate's postrotate "kill -HUP": reopen rather than end the process, as SIGHUP would by default.
            _hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _reopen = true;
            });
        }

        var lastCheck = _time.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Real time, not the injected clock: a pause that batches writes is no timeout, and a test's fake
                // clock must not hold the log back.
                await Task.Delay(GatherPause, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (_time.GetElapsedTime(lastCheck) >= RotationCheck)
            {
                lastCheck = _time.GetTimestamp();
                CheckRotation();
            }

            Drain();
        }

        Drain();
    }

    private void Drain()
    {
        // The loop, a stop and the disposal may each drain; one at a time, in the order the lines were taken.
        lock (_draining)
        {
            DrainShards();
        }
    }

    private void DrainShards()
    {
        var config = _generations.Current.Get<AccessLogConfig>();
        foreach (var shard in _shards.Values)
        {
            lock (shard)
            {
                while (shard.Full.TryDequeue(out var full))
                {
                    _taken.Add(full);
                }

                if (shard.Lines is { } lines)
                {
                    _taken.Add(lines);
                    shard.Lines = null;
                }
            }

            // Written outside the lock: the thread goes on into a new buffer meanwhile.
            foreach (var lines in _taken)
            {
                Flush(config, lines);
            }

            _taken.Clear();
        }
    }

    private ArrayBufferWriter<byte>? Rent()
    {
        if (_pool.TryDequeue(out var lines))
        {
            return lines;
        }

        if (Interlocked.Increment(ref _buffers) > MaxBuffers)
        {
            Interlocked.Decrement(ref _buffers);
            return null;
        }

        // Room for a line of up to 4 KiB past the hand-over size before the buffer grows.
        return new ArrayBufferWriter<byte>(Batch + PipeBuffer);
    }

    private void Return(ArrayBufferWriter<byte> lines)
    {
        lines.ResetWrittenCount();

        // A buffer that grew for a very long line is not kept: a pooled buffer stays out of the large-object heap.
        if (lines.Capacity <= Batch + PipeBuffer && _pool.Count < PooledBuffers)
        {
            _pool.Enqueue(lines);
        }
        else
        {
            Interlocked.Decrement(ref _buffers);
        }
    }

    private void Flush(AccessLogConfig config, ArrayBufferWriter<byte> lines)
    {
        try
        {
            Open(config);
            var data = lines.WrittenSpan;
            if (_file is not null)
            {
                // At the file's end as it is now, not where this process last wrote: after a copytruncate the next
                // line starts the emptied file instead of leaving a hole of zeros before it.
                RandomAccess.Write(_file, data, RandomAccess.GetLength(_file));
            }
            else
            {
                // Whole lines, each write under PIPE_BUF, as standard output is shared with the console log.
                while (data.Length > 0)
                {
                    var take = data.Length <= PipeBuffer ? data.Length : data[..PipeBuffer].LastIndexOf((byte)'\n') + 1;
                    take = take == 0 ? Math.Min(data.Length, PipeBuffer) : take;
                    _console!.Write(data[..take]);
                    data = data[take..];
                }

                _console!.Flush();
            }

            _failing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a file that cannot be opened: the lines are lost and counted, and said once until a write
            // works again, so a full disk is not filled further by the gateway's own log.
            // Said before counted: whoever sees the count can already find the reason.
            if (!_failing)
            {
                _failing = true;
                Log.WriteFailed(_logger, config.Path ?? "standard output", e.Message);
            }

            _metrics.AccessLogDropped(CountLines(lines.WrittenSpan));

            CloseSink();
        }
        finally
        {
            Return(lines);
        }
    }

    private void Open(AccessLogConfig config)
    {
        if ((_file is not null || _console is not null) && _sinkPath == config.Path && !_reopen)
        {
            return;
        }

        _reopen = false;
        CloseSink();
        _sinkPath = config.Path;
        if (config.Path is null)
        {
            _console = Console.OpenStandardOutput();
        }
        else
        {
            _file = File.OpenHandle(config.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
    }

    private void CloseSink()
    {
        _file?.Dispose();
        _file = null;
        _console?.Dispose();
        _console = null;
    }

    /// <summary>A file moved away by a rotation (logrotate's create) is gone from its path, or another file is there.</summary>
    private void CheckRotation()
    {
        if (_file is null || _sinkPath is null)
        {
            return;
        }

        var file = new FileInfo(_sinkPath);
        if (!file.Exists || file.Length != RandomAccess.GetLength(_file))
        {
            _reopen = true;
        }
    }

    private static int CountLines(ReadOnlySpan<byte> data) => data.Count((byte)'\n');

    private static partial class Log
    {
        [LoggerMessage(LogEvents.AccessLogWriteFailed, LogLevel.Warning, "Access log lines could not be written to {Sink}: {Error}; they are dropped (gateway_access_log_dropped_total)", EventName = "AccessLogWriteFailed")]
        public static partial void WriteFailed(ILogger logger, string sink, string error);
    }
}
