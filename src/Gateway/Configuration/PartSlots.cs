namespace Gateway.Configuration;

/// <summary>Hands out <see cref="PartSlot{T}"/> indexes.</summary>
internal static class PartSlots
{
    private static int _count;

    public static int Count => Volatile.Read(ref _count);

    public static int Next() => Interlocked.Increment(ref _count) - 1;
}
