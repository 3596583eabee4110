using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Metrics;

namespace Gateway.AccessLog;

/// <summary>
/// Writes the access log off the I/O threads: requests and tunnels queue their entry and go on; one background loop
/// formats and writes. When the sink cannot keep up, entries are dropped and counted, never waited for. A file is
/// reopened when it was moved or truncated by a rotation (logrotate's create or copytruncate), and on SIGHUP.
/// </summary>
internal sealed partial class AccessLogWriter : BackgroundService
{
    /// <summary>Entries waiting at most: a few seconds of a busy gateway's lines; past that, lines are dropped.</summary>
    private const int Capacity = 65_536;

    /// <summary>Writes to standard output stay under PIPE_BUF, so a console log line never lands inside an access line.</summary>
    private const int PipeBuffer = 4096;

    /// <summary>A file takes lines in larger writes: one system call per batch, not per line.</summary>
    private const int FileBatch = 64 * 1024;

    private static readonly TimeSpan RotationCheck = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the writer takes the lines gathered: one wake-up and one write per pause, not per request, on the
    /// cores the proxy runs on. nginx's buffered access_log does the same with its flush time.
    /// </summary>
    private static readonly TimeSpan GatherPause = TimeSpan.FromMilliseconds(200);

    // A request only enqueues (lock-free) and counts; nothing wakes the writer, which looks every GatherPause. A
    // channel takes a lock per line and wakes its reader, on the cores the proxy runs on.
    private readonly ConcurrentQueue<AccessLogEntry> _queue = new();
    private int _queued;

    private readonly GenerationStore _generations;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _buffer = new(FileBatch + PipeBuffer);
    private readonly AccessLogLine _line = new();
    private Stream? _console;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private string? _sinkPath;
    private volatile bool _reopen;
    private bool _failing;
    private PosixSignalRegistration? _hangUp;

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

    /// <summary>Queues <paramref name="entry"/>; when the queue is full it is dropped and counted.</summary>
    public void Write(AccessLogEntry entry)
    {
        if (Interlocked.Increment(ref _queued) > Capacity)
        {
            Interlocked.Decrement(ref _queued);
            _metrics.AccessLogDropped();
            return;
        }

        _queue.Enqueue(entry);
    }

    public override void Dispose()
    {
        _hangUp?.Dispose();
        CloseSink();
        _line.Dispose();
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
        var config = _generations.Current.Get<AccessLogConfig>();
        while (_queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _queued);
            _line.Write(entry, config.Format, _buffer);
            if (_buffer.WrittenCount >= (config.Path is null ? PipeBuffer : FileBatch))
            {
                Flush(config);
            }
        }

        Flush(config);
    }

    private void Flush(AccessLogConfig config)
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        try
        {
            Open(config);
            var data = _buffer.WrittenSpan;
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

            _metrics.AccessLogDropped(CountLines(_buffer.WrittenSpan));

            CloseSink();
        }
        finally
        {
            _buffer.ResetWrittenCount();
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
