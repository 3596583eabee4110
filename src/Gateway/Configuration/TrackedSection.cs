using Microsoft.Extensions.Primitives;

namespace Gateway.Configuration;

/// <summary>
/// A section of <c>Gateway</c> that notes in <see cref="ConfigReads"/> how each key is read - as a value, or as a
/// section whose children are listed - so that <see cref="ConfigReads.Check"/> can refuse a value where a section
/// belongs and a section where a value belongs. Every reader gets it, so no reader has to remember the check.
/// </summary>
internal sealed class TrackedSection(IConfigurationSection inner, ConfigReads reads) : IConfigurationSection
{
    public ConfigReads Reads => reads;

    public string Key => inner.Key;

    public string Path => inner.Path;

    public string? Value
    {
        get
        {
            reads.Note(inner.Path, ConfigReadKind.Value);
            return inner.Value;
        }

        set => inner.Value = value;
    }

    /// <summary>The value, without noting a read: for a reader that only asks whether a value stands where it reads a list.</summary>
    public string? UnnotedValue => inner.Value;

    public string? this[string key]
    {
        get
        {
            reads.Note(inner.Path + ConfigurationPath.KeyDelimiter + key, ConfigReadKind.Value);
            return inner[key];
        }

        set => inner[key] = value;
    }

    public IConfigurationSection GetSection(string key) => new TrackedSection(inner.GetSection(key), reads);

    public IEnumerable<IConfigurationSection> GetChildren()
    {
        reads.Note(inner.Path, ConfigReadKind.Children);
        return inner.GetChildren().Select(child => new TrackedSection(child, reads));
    }

    public IChangeToken GetReloadToken() => inner.GetReloadToken();

    /// <summary>This section is a list: its keys must be 0, 1, 2... (a JSON array).</summary>
    public void NoteList() => reads.Note(inner.Path, ConfigReadKind.List);

    /// <summary>This section has these keys (for the message when a value is written in its place).</summary>
    public void NoteKeys(string[] known) => reads.NoteKeys(inner.Path, known);
}
