namespace Gateway.Tests.Infrastructure;

/// <summary>
/// The system clock, read so that no two readings are equal, as a clock that ticks finer than the code between two
/// readings does on a loaded machine: code that compares one reading with a later one as if they were the same instant
/// fails here every time, not only when a busy run happens to separate them.
/// </summary>
internal sealed class AdvancingClock : TimeProvider
{
    private long _readings;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddTicks(Interlocked.Increment(ref _readings));
}
