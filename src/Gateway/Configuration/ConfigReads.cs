using System.Globalization;

namespace Gateway.Configuration;

/// <summary>
/// How every key of the <c>Gateway</c> section was read in one generation (through <see cref="TrackedSection"/>),
/// checked against what the configuration holds there. The configuration system keeps a value and keys below it side
/// by side, so <c>"Access": "deny all"</c> where a list belongs reads as no rules at all, and <c>"MinProtocol":
/// ["Tls13"]</c> where a value belongs as not set: each would be silently ignored. Here each is one error with its path.
/// </summary>
internal sealed class ConfigReads
{
    private readonly Dictionary<string, ConfigReadKind> _reads = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string[]> _keys = new(StringComparer.OrdinalIgnoreCase);

    public void Note(string path, ConfigReadKind kind) =>
        _reads[path] = _reads.GetValueOrDefault(path) | kind;

    public void NoteKeys(string path, string[] known) => _keys[path] = known;

    /// <summary>Reports every key whose shape is not the one its reader reads; nothing below a key in error is reported again.</summary>
    public void Check(IConfiguration configuration, ConfigErrors errors)
    {
        var reported = errors.All.Select(e => e.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var wrong = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var listed = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        HashSet<string> childrenOf(string parent)
        {
            if (!listed.TryGetValue(parent, out var keys))
            {
                keys = configuration.GetSection(parent).GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
                listed[parent] = keys;
            }

            return keys;
        }

        foreach (var (path, kind) in _reads.OrderBy(r => r.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (reported.Contains(path) || UnderWrong(path, wrong))
            {
                continue;
            }

            var section = configuration.GetSection(path);
            var message = Problem(section, kind, childrenOf);
            if (message is not null)
            {
                errors.Add(path, message);
                wrong.Add(path);
            }
        }
    }

    private string? Problem(IConfigurationSection section, ConfigReadKind kind, Func<string, HashSet<string>> childrenOf)
    {
        var key = section.Key;
        if (kind.HasFlag(ConfigReadKind.List))
        {
            var notIndex = section.GetChildren().FirstOrDefault(c => !int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));
            if (notIndex is not null)
            {
                return $"'{notIndex.Key}' is a key, but {key} is a list: write [ ... ], not {{ ... }}";
            }
        }

        // Read both ways: the reader takes either form (CipherSuites as a list or one string) and checks it itself.
        if (kind.HasFlag(ConfigReadKind.Value) && kind.HasFlag(ConfigReadKind.Children))
        {
            return null;
        }

        if (kind.HasFlag(ConfigReadKind.Children))
        {
            // An empty list ([]) reaches here as an empty value, as does an empty override: both are the empty list or
            // section they stand for. JSON's null, which reads the same, is refused in the file itself (ConfigFileJson).
            var written = string.IsNullOrEmpty(section.Value) ? null : $"'{section.Value}' is a value";
            return written is null ? null
                : kind.HasFlag(ConfigReadKind.List) ? $"{written}, but {key} is a list: write [ {(section.Value is { Length: > 0 } v ? $"\"{v}\"" : "")} ]"
                : _keys.TryGetValue(section.Path, out var known) ? $"{written}, but {key} is a section: write {{ ... }} with the keys {string.Join(", ", known)}"
                : $"{written}, but {key} is a section of named entries: write {{ \"name\": {{ ... }} }}";
        }

        var children = section.GetChildren().Select(c => c.Key).ToList();
        if (children.Count > 0)
        {
            return section.Value is { Length: > 0 } set
                ? $"'{set}' is set, and so is {section.Path}:{children[0]} below it; {key} is a value: remove {section.Path}:{children[0]}"
                : $"{key} is a value, not a list or section (it holds {string.Join(", ", children)}): write one value";
        }

        // Listed by its parent, yet without a value or children: an empty {} or [].
        return section.Value is null && ConfigurationPath.GetParentPath(section.Path) is { } parent && childrenOf(parent).Contains(key)
            ? $"{key} is a value, not an empty list or section: write one value or remove the key"
            : null;
    }

    private static bool UnderWrong(string path, HashSet<string> wrong)
    {
        for (var colon = path.LastIndexOf(':'); colon > 0; colon = path.LastIndexOf(':', colon - 1))
        {
            if (wrong.Contains(path[..colon]))
            {
                return true;
            }
        }

        return false;
    }
}
