namespace Gateway.Passthrough;

/// <summary>Bytes through tunnels, both ways, kept live (per read) so long tunnels show on the stats page as they run.</summary>
internal sealed class TrafficCounters
{
    private long _fromClient;
    private long _fromBackend;
    private long _opened;

    public long BytesFromClient => Interlocked.Read(ref _fromClient);

    public long BytesFromBackend => Interlocked.Read(ref _fromBackend);

    public long TunnelsOpened => Interlocked.Read(ref _opened);

    public void AddFromClient(long bytes) => Interlocked.Add(ref _fromClient, bytes);

    public void AddFromBackend(long bytes) => Interlocked.Add(ref _fromBackend, bytes);

    public void Opened() => Interlocked.Increment(ref _opened);
}
