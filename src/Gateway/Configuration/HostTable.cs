
namespace Gateway.Configuration;

/// <summary>
/// Host name -> value, for SNI lookups on every new connection: case-insensitive, one trailing dot ignored,
/// exact names before wildcards, and among wildcards the longest suffix wins. What <see cref="HostNames"/> does not
/// call a host name matches nothing, and an address literal matches no wildcard. Lookups do not allocate.
/// </summary>
internal sealed class HostTable<T>
    where T : class
{
    private readonly Dictionary<string, T> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, T> _suffixes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
    private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _suffixLookup;

    public HostTable(IEnumerable<KeyValuePair<HostPattern, T>> entries)
    {
        foreach (var (pattern, value) in entries)
        {
            if (pattern.IsWildcard)
            {
                _suffixes[pattern.Suffix] = value;
            }
            else
            {
                _exact[pattern.Value] = value;
            }
        }

        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _suffixLookup = _suffixes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool IsEmpty => _exact.Count == 0 && _suffixes.Count == 0;

    public T? Match(string? host)
    {
        if (string.IsNullOrEmpty(host) || IsEmpty)
        {
            return null;
        }

        var kind = HostNames.Classify(host, out var name);
        if (kind == HostNameKind.Invalid)
        {
            return null;
        }

        // An address can be a configured name (an L7 route for the Host header "127.0.2.1"), never under a wildcard.
        if (_exactLookup.TryGetValue(name, out var exact))
        {
            return exact;
        }

        if (_suffixes.Count == 0 || kind == HostNameKind.AddressLiteral)
        {
            return null;
        }

        // "a.b.example" tries ".b.example", then ".example": the first hit is the most specific wildcard.
        // A suffix is never the whole name, so "*.example" does not match "example".
        for (var dot = name.IndexOf('.'); dot >= 0; dot = NextDot(name, dot))
        {
            if (dot > 0 && _suffixLookup.TryGetValue(name[dot..], out var wildcard))
            {
                return wildcard;
            }
        }

        return null;
    }

    private static int NextDot(ReadOnlySpan<char> name, int dot)
    {
        var next = name[(dot + 1)..].IndexOf('.');
        return next < 0 ? -1 : dot + 1 + next;
    }
}
