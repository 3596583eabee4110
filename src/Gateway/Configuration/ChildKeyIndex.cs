namespace Gateway.Configuration;

/// <summary>
/// The child keys of every section of a provider's flat key space ("a:b:c" makes "a" a child of the root, "b" of
/// "a", "c" of "a:b"), answering what <see cref="ConfigurationProvider.GetChildKeys"/> answers by a scan of every
/// key. Built in one pass; a lookup costs the number of children, not the number of keys.
/// </summary>
internal sealed class ChildKeyIndex
{
    private readonly IDictionary<string, string?> _data;
    private readonly List<string> _root = [];
    private readonly Dictionary<string, List<string>> _children = new(StringComparer.OrdinalIgnoreCase);

    public ChildKeyIndex(IDictionary<string, string?> data)
    {
        _data = data;
        var parents = _children.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var key in data.Keys)
        {
            Add(_root, key, 0);
            for (var colon = key.IndexOf(':', StringComparison.Ordinal); colon >= 0; colon = key.IndexOf(':', colon + 1))
            {
                if (!parents.TryGetValue(key.AsSpan(0, colon), out var children))
                {
                    children = [];
                    _children[key[..colon]] = children;
                }

                Add(children, key, colon + 1);
            }
        }

        // Sorted once here rather than on every lookup; the 10,000 children of a routes section are asked for more than once.
        _root.Sort(ConfigurationKeyComparer.Instance);
        foreach (var children in _children.Values)
        {
            children.Sort(ConfigurationKeyComparer.Instance);
        }
    }

    /// <summary>True when this index was built from <paramref name="data"/> (a provider replaces its dictionary on load).</summary>
    public bool IsOf(IDictionary<string, string?> data) => ReferenceEquals(_data, data);

    public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        var own = parentPath is null ? _root : _children.GetValueOrDefault(parentPath);
        var results = own is null ? [] : new List<string>(own);
        var count = results.Count;
        results.AddRange(earlierKeys);
        if (results.Count > count)
        {
            results.Sort(ConfigurationKeyComparer.Instance);
        }

        return results;
    }

    /// <summary>
    /// The stock provider lists a child once per key below it and leaves dropping repeats to the configuration root,
    /// which does so whatever a provider returns. Keys below one child are adjacent in a file's order, so comparing
    /// with the last child added lists nearly every child once, which is what keeps a large section cheap to list.
    /// </summary>
    private static void Add(List<string> children, string key, int start)
    {
        var end = key.IndexOf(':', start);
        var segment = end < 0 ? key.AsSpan(start) : key.AsSpan(start, end - start);
        if (children.Count == 0 || !segment.Equals(children[^1], StringComparison.OrdinalIgnoreCase))
        {
            children.Add(segment.ToString());
        }
    }
}
