namespace Gateway.Configuration;

/// <summary>
/// A fixed set of keys, answering child-key queries from a <see cref="ChildKeyIndex"/>: a rewritten copy of a section
/// with 10,000 routes is as cheap to walk as the file it came from.
/// </summary>
internal sealed class IndexedMemoryConfigurationProvider : ConfigurationProvider, IConfigurationSource
{
    private readonly ChildKeyIndex _index;

    public IndexedMemoryConfigurationProvider(IEnumerable<KeyValuePair<string, string?>> values)
    {
        foreach (var (key, value) in values)
        {
            Data[key] = value;
        }

        _index = new ChildKeyIndex(Data);
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => this;

    public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) =>
        _index.GetChildKeys(earlierKeys, parentPath);

    public override void Set(string key, string? value) =>
        throw new NotSupportedException("a rewritten copy of a section is read, never written");
}
