using System.Globalization;
using Gateway.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Walks the <c>ReverseProxy</c> section against <see cref="YarpShape"/> before YARP reads it. YARP's reader ignores a
/// key it does not know (<c>Match:Host</c> for <c>Hosts</c> makes a route match every host) and stops at the first
/// value it cannot parse with a message that names no path. Here every unknown key and every bad value is an error
/// with its path, and durations are read the way the rest of the file writes them ("5s" as well as "00:00:05").
/// </summary>
internal sealed class YarpSectionCheck
{
    private const string DurationForms = "write it as hh:mm:ss (\"00:00:05\") or with a unit (\"500ms\", \"5s\", \"30m\", \"1h\", \"1d\")";

    private readonly ConfigErrors _errors;

    private YarpSectionCheck(ConfigErrors errors) => _errors = errors;

    /// <summary>Values rewritten in the form YARP reads (durations), by full path.</summary>
    public Dictionary<string, string> Rewritten { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The routes and clusters with an error of their own, by full path (<c>ReverseProxy:Routes:app</c>).</summary>
    public List<string> InError { get; } = [];

    public static YarpSectionCheck Run(IConfigurationSection section, ConfigErrors errors)
    {
        var check = new YarpSectionCheck(errors);
        if (check.IsNotASection(section, YarpShape.ReverseProxy))
        {
            return check;
        }

        ConfigReader.RejectUnknownKeys(section, errors, [.. YarpShape.ReverseProxy.Keys.Keys]);
        foreach (var (key, entries) in YarpShape.ReverseProxy.Keys)
        {
            var level = section.GetSection(key);
            if (check.IsNotASection(level, entries))
            {
                continue;
            }

            var entry = ((YarpShape.Named)entries).Entry;
            foreach (var child in level.GetChildren())
            {
                var before = errors.All.Count;
                check.Walk(child, entry);
                if (errors.All.Count > before)
                {
                    check.InError.Add(child.Path);
                }
            }
        }

        return check;
    }

    private void Walk(IConfigurationSection section, YarpShape shape)
    {
        switch (shape)
        {
            case YarpShape.Scalar scalar:
                if (section.GetChildren().Any())
                {
                    _errors.Add(section.Path, "a value is expected here, not a section");
                }
                else if (scalar.Backend)
                {
                    ReadBackendUrl(section.Path, section.Value);
                }
                else if (section.Value is { } value)
                {
                    ReadValue(section.Path, value, scalar.Type);
                }

                break;

            case YarpShape.Fields fields when !IsNotASection(section, shape):
                foreach (var child in section.GetChildren())
                {
                    if (fields.Keys.TryGetValue(child.Key, out var childShape))
                    {
                        Walk(child, childShape);
                    }
                    else if (child.Key.Equals(fields.IdFromName, StringComparison.OrdinalIgnoreCase))
                    {
                        _errors.Add(child.Path, $"the id is the entry's name ('{section.Key}'), not a key of its own; remove {child.Key}");
                    }
                    else
                    {
                        _errors.Add(child.Path, $"unknown key '{child.Key}'{NearMiss.Hint(child.Key, fields.Keys.Keys)}; expected one of: {string.Join(", ", fields.Keys.Keys)}");
                    }
                }

                break;

            case YarpShape.Named named when !IsNotASection(section, shape):
                foreach (var child in section.GetChildren())
                {
                    Walk(child, named.Entry);
                }

                break;

            case YarpShape.Indexed indexed when !IsNotASection(section, shape):
                foreach (var child in section.GetChildren())
                {
                    if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        _errors.Add(child.Path, $"'{child.Key}' is a key, but {section.Key} is a list: write [ ... ], not {{ ... }}");
                        continue;
                    }

                    Walk(child, indexed.Item);
                }

                break;
        }
    }

    /// <summary>A value where a section or a list belongs: YARP would read it as absent (a route for every host, a cluster without destinations).</summary>
    private bool IsNotASection(IConfigurationSection section, YarpShape shape)
    {
        if (string.IsNullOrEmpty(section.Value) || section.GetChildren().Any())
        {
            return false;
        }

        _errors.Add(section.Path, shape switch
        {
            YarpShape.Indexed => $"'{section.Value}' is a value, but {section.Key} is a list: write [ \"{section.Value}\" ]",
            YarpShape.Fields fields => $"'{section.Value}' is a value, but {section.Key} is a section with the keys: {string.Join(", ", fields.Keys.Keys)}",
            _ => $"'{section.Value}' is a value, but {section.Key} is a section of named entries",
        });
        return true;
    }

    /// <summary>
    /// A destination's <c>Address</c> or <c>Health</c>: an absolute http:// or https:// URL with a host and a valid port, as
    /// the forwarder and the health prober need it. An empty <c>Health</c> means the address; an empty <c>Address</c> is
    /// left to YARP's validator, which names the destination.
    /// </summary>
    private void ReadBackendUrl(string path, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return;
        }

        var trimmed = value.Trim();
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps) && url.Host.Length > 0)
        {
            return;
        }

        // A bare host:port (a passthrough destination's form) is the likely slip: say what it would be as a URL.
        var example = !trimmed.Contains("://", StringComparison.Ordinal) && !trimmed.Contains(' ', StringComparison.Ordinal)
            && Uri.TryCreate("http://" + trimmed, UriKind.Absolute, out var bare) && bare.Host.Length > 0
            ? $"\"http://{trimmed}/\""
            : "\"http://127.0.0.1:9080/\" or \"https://app.internal/\"";
        _errors.Add(path, $"'{value}' is not an absolute http:// or https:// URL with a host and a port from 1 to 65535; write it as {example}");
    }

    /// <summary>Reads <paramref name="value"/> as YARP's reader would, reporting instead of throwing.</summary>
    private void ReadValue(string path, string value, Type type)
    {
        if (type == typeof(string))
        {
            return;
        }

        if (type == typeof(TimeSpan))
        {
            if (!Duration.TryParse(value, out var duration))
            {
                _errors.Add(path, $"'{value}' is not a duration; {DurationForms}");
            }
            else if (!TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out _))
            {
                Rewritten[path] = Duration.Format(duration);
            }

            return;
        }

        var error = type switch
        {
            _ when type == typeof(int) => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : "is not a whole number",
            _ when type == typeof(long) => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? null : "is not a whole number",
            _ when type == typeof(bool) => bool.TryParse(value, out _) ? null : "is not true or false",
            _ when type == typeof(Version) => value.Length == 0 || Version.TryParse(value.Contains('.', StringComparison.Ordinal) ? value : value + ".0", out _)
                ? null : "is not an HTTP version (1.0, 1.1, 2 or 3)",
            _ when type == typeof(Uri) => Uri.TryCreate(value, UriKind.Absolute, out _) ? null : "is not an absolute URL",
            _ when type.IsEnum => Enum.GetNames(type).Contains(value.Trim(), StringComparer.OrdinalIgnoreCase) ? null : $"is not one of: {string.Join(", ", Enum.GetNames(type))}",
            _ => throw new NotSupportedException($"no reader for YARP's {type} values"),
        };
        if (error is not null)
        {
            _errors.Add(path, $"'{value}' {error}");
        }
    }
}
