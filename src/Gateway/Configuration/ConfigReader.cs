using System.Globalization;

namespace Gateway.Configuration;

/// <summary>
/// Typed reads from an <see cref="IConfigurationSection"/> that never throw: a bad value is recorded
/// with its full path and the default is used so the rest of the file is still checked.
/// </summary>
internal static class ConfigReader
{
    public static string? ReadString(IConfigurationSection section, string key)
    {
        var value = section[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public static TimeSpan ReadDuration(IConfigurationSection section, string key, TimeSpan defaultValue, ConfigErrors errors, TimeSpan? min = null, TimeSpan? max = null) =>
        ReadOptionalDuration(section, key, errors, min, max) ?? defaultValue;

    /// <summary>A duration whose absence means something of its own (off, or derived from something else): null when not set or invalid.</summary>
    public static TimeSpan? ReadOptionalDuration(IConfigurationSection section, string key, ConfigErrors errors, TimeSpan? min = null, TimeSpan? max = null)
    {
        var raw = ReadString(section, key);
        if (raw is null)
        {
            return null;
        }

        if (!Duration.TryParse(raw, out var value))
        {
            errors.Add(Path(section, key), $"'{raw}' is not a duration; write it as hh:mm:ss (\"00:00:05\") or with a unit (\"500ms\", \"5s\", \"30m\", \"1h\", \"1d\")");
            return null;
        }

        min ??= TimeSpan.Zero;
        if (value < min || (max is { } upper && value > upper))
        {
            errors.Add(Path(section, key), max is { } m
                ? $"{raw} is out of range; it must be between {Duration.Format(min.Value)} and {Duration.Format(m)}"
                : $"{raw} is out of range; it must be at least {Duration.Format(min.Value)}");
            return null;
        }

        return value;
    }

    public static int ReadInt(IConfigurationSection section, string key, int defaultValue, int min, int max, ConfigErrors errors)
    {
        var raw = ReadString(section, key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            errors.Add(Path(section, key), $"'{raw}' is not a whole number");
            return defaultValue;
        }

        if (value < min || value > max)
        {
            errors.Add(Path(section, key), $"{value} is out of range; it must be between {min} and {max}");
            return defaultValue;
        }

        return value;
    }

    public static bool ReadBool(IConfigurationSection section, string key, bool defaultValue, ConfigErrors errors)
    {
        var raw = ReadString(section, key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!bool.TryParse(raw, out var value))
        {
            errors.Add(Path(section, key), $"'{raw}' is not true or false");
            return defaultValue;
        }

        return value;
    }

    public static T ReadEnum<T>(IConfigurationSection section, string key, T defaultValue, ConfigErrors errors)
        where T : struct, Enum
    {
        var raw = ReadString(section, key);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!TryParseEnum<T>(raw, out var value))
        {
            errors.Add(Path(section, key), $"'{raw}' is not one of: {string.Join(", ", Enum.GetNames<T>())}");
            return defaultValue;
        }

        return value;
    }

    /// <summary>One of <typeparamref name="T"/>'s names, in any case: never a number, nor a list.</summary>
    public static bool TryParseEnum<T>(string raw, out T value)
        where T : struct, Enum
    {
        // Enum.TryParse reads "Active, Drain" as the two values or-ed together, which may be a third one, and "1" as a value.
        if (!raw.Contains(',', StringComparison.Ordinal) && Enum.TryParse(raw, ignoreCase: true, out value) && Enum.IsDefined(value) && !int.TryParse(raw, out _))
        {
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Whether a value is written where <paramref name="list"/> belongs (<c>"Hosts": "mail.example"</c>). The shape check
    /// (<see cref="ConfigReads"/>) reports it with what to write; a reader asks so as not to report it again as missing.
    /// </summary>
    public static bool HoldsValue(IConfigurationSection list) =>
        !string.IsNullOrEmpty(list is TrackedSection tracked ? tracked.UnnotedValue : list.Value);

    /// <summary>Reports keys that nothing reads: a misspelt key silently ignored is worse than a refused file.</summary>
    public static void RejectUnknownKeys(IConfigurationSection section, ConfigErrors errors, params string[] known)
    {
        (section as TrackedSection)?.NoteKeys(known);
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(child.Path, $"unknown key '{child.Key}'{NearMiss.Hint(child.Key, known)}; expected one of: {string.Join(", ", known)}");
            }
        }
    }

    /// <summary>
    /// The entries of a list. A key that is not an index (an object where the list belongs) and a value in the list's
    /// place are refused by <see cref="ConfigReads.Check"/>, with what to write instead.
    /// </summary>
    public static IEnumerable<IConfigurationSection> Items(IConfigurationSection list)
    {
        (list as TrackedSection)?.NoteList();
        return list.GetChildren();
    }

    public static string Path(IConfigurationSection section, string key) => section.Path + ":" + key;
}
