namespace Gateway.Configuration;

/// <summary>
/// A host name an operator wrote in a route: an exact name ("exchange.example") or a wildcard
/// ("*.example", any depth of subdomain, never the bare "example"). Stored normalized:
/// lower case, no trailing dot, so matching and duplicate detection agree.
/// </summary>
internal readonly record struct HostPattern(string Value)
{
    public bool IsWildcard => Value.StartsWith("*.", StringComparison.Ordinal);

    /// <summary>For a wildcard, the suffix it matches including the leading dot (".example").</summary>
    public string Suffix => Value[1..];

    /// <summary>A YARP <c>Match.Hosts</c> entry without its port: "app.example:8443" and "[::1]:443" name "app.example" and "[::1]".</summary>
    public static string WithoutPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }

    public static bool TryParse(string? text, out HostPattern pattern, out string? error)
    {
        pattern = default;
        error = null;
        // One trailing dot is the root; "example.." has an empty label and is refused below.
        var value = text?.Trim().ToLowerInvariant();
        value = value is [.. var rooted, '.'] ? rooted : value;
        if (string.IsNullOrEmpty(value))
        {
            error = "a host name is required";
            return false;
        }

        var name = value.StartsWith("*.", StringComparison.Ordinal) ? value[2..] : value;
        if (name.Length is 0 or > 253 || name.Contains('*', StringComparison.Ordinal))
        {
            error = $"'{text}' is not a host name; wildcards are allowed only as a leading \"*.\" (\"*.example.com\")";
            return false;
        }

        foreach (var label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-'
                || !label.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                error = $"'{text}' is not a valid host name (letters, digits, '-' and '.' only; internationalized names in their xn-- form)";
                return false;
            }
        }

        pattern = new HostPattern(value);
        return true;
    }

    public override string ToString() => Value;
}
