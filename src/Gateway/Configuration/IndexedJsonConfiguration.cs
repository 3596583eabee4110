using Microsoft.Extensions.Configuration.Json;

namespace Gateway.Configuration;

/// <summary>
/// The config file's bytes as <see cref="JsonStreamConfigurationSource"/> reads them, with each section's child keys indexed. The
/// stock provider answers every <c>GetChildren</c> (and <c>Exists</c>) by scanning every key of the file, and both
/// Gateway and YARP ask that several times per route and cluster: 5,000 routes with policies took 20 s to read.
/// </summary>
internal sealed class IndexedJsonConfigurationSource : JsonStreamConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder) => new IndexedJsonConfigurationProvider(this);
}

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
