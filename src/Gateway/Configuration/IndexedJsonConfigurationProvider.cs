using Microsoft.Extensions.Configuration.Json;

namespace Gateway.Configuration;

/// <summary>Reads the config file for <see cref="IndexedJsonConfigurationSource"/> and answers child-key queries from an index.</summary>
internal sealed class IndexedJsonConfigurationProvider(JsonStreamConfigurationSource source) : JsonStreamConfigurationProvider(source)
{
    // Rebuilt whenever Data is replaced (a load) or written to; never changed once published, so readers need no lock.
    private volatile ChildKeyIndex? _index;

    public override void Set(string key, string? value)
    {
        base.Set(key, value);
        _index = null;
    }

    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath)
    {
        var index = _index;
        if (index is null || !index.IsOf(Data))
        {
            index = new ChildKeyIndex(Data);
            _index = index;
        }

        return index.GetChildKeys(earlierKeys, parentPath);
    }
}
