using System.Buffers;

namespace Gateway.AccessLog;

/// <summary>
/// One thread's access-log lines since the writer last took them, as nginx's workers each buffer their own. A request
/// formats its line here, on its own thread, under a lock only the writer's collection (every 200 ms) ever contends.
/// </summary>
internal sealed class AccessLogShard : IDisposable
{
    public AccessLogLine Line { get; } = new();

    /// <summary>The buffer being filled; null until the thread's next line. Guarded by the shard's lock, as is <see cref="Full"/>.</summary>
    public ArrayBufferWriter<byte>? Lines { get; set; }

    /// <summary>Buffers filled since the writer last came, oldest first: taken with <see cref="Lines"/>, so a thread's lines stay in order.</summary>
    public Queue<ArrayBufferWriter<byte>> Full { get; } = new();

    public void Dispose() => Line.Dispose();
}
