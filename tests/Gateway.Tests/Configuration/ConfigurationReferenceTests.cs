using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Configuration;

/// <summary>
/// docs/configuration.md and appsettings.schema.json cannot drift apart. The reference documents a key with a table
/// row whose first cell holds the key's full path in backticks (<c>`Gateway:Listeners:Https`</c>; several keys of
/// one meaning may share a row). A level whose name the operator chooses is written <c>{id}</c> or a more telling
/// <c>{host}</c>, <c>{user}</c>; a list index is <c>{n}</c>. Every leaf of the schema needs such a row, every row
/// names a key of the schema, and every <c>Gateway:...</c> path in backticks anywhere in the README or docs/ is a
/// key or section of the schema (examples may use the operator's own names where the schema has a placeholder).
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Reference = "docs/configuration.md";
    private const string MapLevel = "{}";
    private const string ListLevel = "{n}";

    private static readonly string Root = CheckTests.RepositoryRoot();
    private static readonly JsonObject SchemaDocument = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "appsettings.schema.json")))!.AsObject();

    [Fact]
    public void Every_key_of_the_schema_has_a_row_in_the_reference_and_every_row_a_key()
    {
        var (nodes, leaves) = SchemaPaths();
        Assert.True(leaves.Count >= 80, $"only {leaves.Count} keys found in the schema");
        var rows = DocumentedKeys(File.ReadAllLines(Path.Combine(Root, Reference)));

        var undocumented = leaves.Where(leaf => !rows.ContainsKey(leaf)).Order(StringComparer.Ordinal).ToList();
        var unknown = rows.Where(row => !nodes.Contains(row.Key)).Select(row => $"{row.Value.Text} ({Reference}:{row.Value.Line})")
            .Order(StringComparer.Ordinal).ToList();

        Assert.True(undocumented.Count == 0, $"keys of appsettings.schema.json without a row in {Reference}:\n" + string.Join("\n", undocumented));
        Assert.True(unknown.Count == 0, $"rows of {Reference} naming a key appsettings.schema.json does not have:\n" + string.Join("\n", unknown));
    }

    [Fact]
    public void Every_gateway_key_the_docs_name_exists_in_the_schema()
    {
        var (nodes, _) = SchemaPaths();
        var wrong = new List<string>();
        var named = 0;
        foreach (var file in Documents())
        {
            foreach (var (line, number) in Prose(file))
            {
                foreach (Match span in CodeSpan().Matches(line))
                {
                    foreach (Match key in GatewayPath().Matches(span.Groups[1].Value))
                    {
                        named++;
                        if (!Exists(nodes, key.Value))
                        {
                            wrong.Add($"{Relative(file)}:{number}: {key.Value}");
                        }
                    }
                }
            }
        }

        Assert.True(named >= 100, $"only {named} Gateway:... paths found in the docs");
        Assert.True(wrong.Count == 0, "keys named in the docs that appsettings.schema.json does not have:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Every_relative_link_in_the_docs_points_to_a_file_and_heading_that_exist()
    {
        var broken = new List<string>();
        var checkedLinks = 0;
        foreach (var file in Documents())
        {
            foreach (var (line, number) in Prose(file))
            {
                foreach (Match link in MarkdownLink().Matches(line))
                {
                    var target = link.Groups[1].Value;
                    if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    checkedLinks++;
                    var hash = target.IndexOf('#', StringComparison.Ordinal);
                    var path = hash < 0 ? target : target[..hash];
                    var anchor = hash < 0 ? null : target[(hash + 1)..];
                    var resolved = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
                    if (!File.Exists(resolved) && !Directory.Exists(resolved))
                    {
                        broken.Add($"{Relative(file)}:{number}: {target} (no such file)");
                    }
                    else if (anchor is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(anchor))
                    {
                        broken.Add($"{Relative(file)}:{number}: {target} (no such heading)");
                    }
                }
            }
        }

        Assert.True(checkedLinks >= 10, $"only {checkedLinks} relative links found");
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>README.md and every Markdown file in docs/ that exists now.</summary>
    private static IEnumerable<string> Documents() =>
        Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal).Prepend(Path.Combine(Root, "README.md"));

    private static string Relative(string file) => Path.GetRelativePath(Root, file);

    /// <summary>The lines outside fenced code blocks, numbered from 1.</summary>
    private static IEnumerable<(string Line, int Number)> Prose(string file)
    {
        var fenced = false;
        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced)
            {
                yield return (line, number);
            }
        }
    }

    /// <summary>The keys named in backticks in the first cell of a table row, normalized, with where they were written.</summary>
    internal static Dictionary<string, (string Text, int Line)> DocumentedKeys(string[] lines)
    {
        var keys = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|'))
            {
                continue;
            }

            var firstCell = lines[i].Split('|')[1];
            foreach (Match span in CodeSpan().Matches(firstCell))
            {
                var text = span.Groups[1].Value;
                if (KeyPath().IsMatch(text))
                {
                    Assert.True(keys.TryAdd(Normalize(text), (text, i + 1)), $"{Reference}:{i + 1}: {text} has a row already");
                }
            }
        }

        return keys;
    }

    /// <summary>
    /// Whether a path the docs name is a key or section of the schema. A level may be a placeholder or, where the
    /// operator names the level, a name of theirs (<c>Gateway:Passthrough:Routes:exchange:ClusterId</c> in an example).
    /// </summary>
    private static bool Exists(HashSet<string> nodes, string path)
    {
        var levels = Normalize(path).Split(':');
        var matched = levels[0];
        foreach (var level in levels.Skip(1))
        {
            string[] candidates = level switch
            {
                MapLevel or ListLevel => [level],
                _ when level.All(char.IsAsciiDigit) => [level, MapLevel, ListLevel],
                _ => [level, MapLevel],
            };
            var next = candidates.Select(c => matched + ":" + c).FirstOrDefault(nodes.Contains);
            if (next is null)
            {
                return false;
            }

            matched = next;
        }

        return nodes.Contains(matched);
    }

    private static string Normalize(string path) =>
        string.Join(':', path.Split(':').Select(level => level == ListLevel ? ListLevel : level.StartsWith('{') ? MapLevel : level));

    /// <summary>Every path the schema describes (sections and keys) and the leaves among them (the keys that take a value).</summary>
    private static (HashSet<string> Nodes, HashSet<string> Leaves) SchemaPaths()
    {
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        Walk(SchemaDocument, "", nodes, leaves);
        nodes.Remove("");
        return (nodes, leaves);
    }

    private static void Walk(JsonObject schema, string path, HashSet<string> nodes, HashSet<string> leaves)
    {
        schema = Resolve(schema);
        nodes.Add(path);
        if (!HasChildren(schema))
        {
            leaves.Add(path);
            return;
        }

        var prefix = path.Length == 0 ? "" : path + ":";
        foreach (var (key, child) in schema["properties"] as JsonObject ?? [])
        {
            Walk(child!.AsObject(), prefix + key, nodes, leaves);
        }

        if (schema["additionalProperties"] is JsonObject entry)
        {
            Walk(entry, prefix + MapLevel, nodes, leaves);
        }

        foreach (var (_, entryByPattern) in schema["patternProperties"] as JsonObject ?? [])
        {
            Walk(entryByPattern!.AsObject(), prefix + MapLevel, nodes, leaves);
        }

        if (schema["items"] is JsonObject item && HasChildren(Resolve(item)))
        {
            Walk(item, prefix + ListLevel, nodes, leaves);
        }

        foreach (var branch in new[] { "allOf", "anyOf", "oneOf" }.SelectMany(k => schema[k] as JsonArray ?? []))
        {
            if (HasChildren(Resolve(branch!.AsObject())))
            {
                Walk(branch.AsObject(), path, nodes, leaves);
            }
        }
    }

    /// <summary>Whether the schema describes named levels below it (an object with keys, or a list of such objects).</summary>
    private static bool HasChildren(JsonObject schema) =>
        schema["properties"] is JsonObject { Count: > 0 }
        || schema["additionalProperties"] is JsonObject
        || schema["patternProperties"] is JsonObject
        || (schema["items"] is JsonObject item && HasChildren(Resolve(item)))
        || new[] { "allOf", "anyOf", "oneOf" }.SelectMany(k => schema[k] as JsonArray ?? []).Any(b => HasChildren(Resolve(b!.AsObject())));

    private static JsonObject Resolve(JsonObject schema)
    {
        if (schema["$ref"] is not { } reference)
        {
            return schema;
        }

        var pointer = reference.GetValue<string>();
        Assert.StartsWith("#/", pointer);
        JsonNode target = SchemaDocument;
        foreach (var level in pointer[2..].Split('/'))
        {
            target = target[level] ?? throw new InvalidOperationException("appsettings.schema.json: unresolved " + pointer);
        }

        return Resolve(target.AsObject());
    }

    /// <summary>The anchors GitHub gives a Markdown file's headings.</summary>
    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, _) in Prose(file))
        {
            var heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = new StringBuilder();
            foreach (var c in heading.Groups[1].Value.Trim().ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                {
                    slug.Append(c);
                }
                else if (c == ' ')
                {
                    slug.Append('-');
                }
            }

            var anchor = slug.ToString();
            for (var n = 1; !anchors.Add(anchor); n++)
            {
                anchor = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    /// <summary>A whole key path as a reference row writes it.</summary>
    [GeneratedRegex(@"^(\$schema|ReverseProxy|Logging|Gateway(:(\{[A-Za-z0-9]+\}|[A-Za-z0-9_]+))*)$")]
    private static partial Regex KeyPath();

    /// <summary>A Gateway key path inside a code span: <c>--Gateway:Listeners:Https=...</c>, <c>Gateway:Tls:UnknownSni: "Reject"</c>.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9_])Gateway(:(\{[^}\s]+\}|[A-Za-z0-9_]+))+")]
    private static partial Regex GatewayPath();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex Heading();
}
