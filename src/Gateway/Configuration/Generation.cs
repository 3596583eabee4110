namespace Gateway.Configuration;

/// <summary>
/// One configuration generation, compiled for the hot path: each capability's part (its validated config and what it
/// compiled from it), keyed by type. Built completely before it is published, so a connection that takes
/// <see cref="GenerationStore.Current"/> once sees one generation or the next, never a mix.
/// </summary>
internal sealed class Generation
{
    private readonly object?[] _parts;

    internal Generation(int number, object?[] parts)
    {
        Number = number;
        _parts = parts;
    }

    /// <summary>1 for the configuration the process started with, one more for each reload that applied.</summary>
    public int Number { get; }

    /// <summary>The part of type <typeparamref name="T"/>; every capability registered adds its parts to every generation.</summary>
    /// <exception cref="InvalidOperationException">No capability added a <typeparamref name="T"/>: a wiring mistake.</exception>
    public T Get<T>()
        where T : class =>
        Find<T>() ?? throw new InvalidOperationException($"Configuration generation {Number} has no {typeof(T).Name}: its capability is not registered");

    public T? Find<T>()
        where T : class
    {
        var slot = PartSlot<T>.Index;
        return slot < _parts.Length ? (T?)_parts[slot] : null;
    }
}
