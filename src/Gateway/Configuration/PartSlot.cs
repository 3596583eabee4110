namespace Gateway.Configuration;

/// <summary>
/// A small index per part type, so <see cref="Generation.Get{T}"/> is an array read on the per-connection path
/// rather than a dictionary lookup.
/// </summary>
internal static class PartSlot<T>
    where T : class
{
    public static readonly int Index = PartSlots.Next();
}
