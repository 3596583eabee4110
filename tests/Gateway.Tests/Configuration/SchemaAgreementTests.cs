using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Json.Schema;

namespace Gateway.Tests.Configuration;

/// <summary>
/// An editor that marks a value Gateway takes, or passes one it refuses, teaches the operator the wrong thing. Every
/// duration, boolean and enumerated value the schema describes under <c>Gateway</c> is offered, in the spellings
/// operators type, to both the schema and the loader: they must agree on each.
/// </summary>
public sealed class SchemaAgreementTests
{
    private static readonly JsonObject SchemaDocument = JsonNode.Parse(File.ReadAllText(Path.Combine(CheckTests.RepositoryRoot(), "appsettings.schema.json")))!.AsObject();

    private static readonly JsonNode?[] Durations =
    [
        "5s", "5S", "500ms", "500MS", "2m", "1h", "1d", "1.5h", " 5s ", "00:00:05", " 00:00:05", "1.00:00:00", "0:0:5",
        "5", "5 s", "-5s", "5sec", "1w", "00:05", "", 5,
    ];

    private static readonly JsonNode?[] Booleans = [true, false, "true", "false", "TRUE", "False", " true ", "yes", "on", "1", 1, ""];

    public static TheoryData<string> Kinds => ["duration", "boolean", "enum"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_schema_and_the_loader_agree_on_every_spelling(string kind)
    {
        var leaves = Leaves("Gateway", Resolve(SchemaDocument["$defs"]!["gateway"]!)).Where(l => l.Kind == kind).ToList();
        Assert.True(leaves.Count >= 3, $"only {leaves.Count} {kind} keys found in the schema");

        var disagreements = new List<string>();
        foreach (var (path, schema, _) in leaves)
        {
            var candidates = kind switch
            {
                "duration" => Durations,
                "boolean" => Booleans,
                _ => EnumSpellings(schema),
            };

            // Without a refused control the loader may not read the key at all here, and the test would prove nothing.
            if (LoaderAccepts(path, "not-a-value-anywhere"))
            {
                disagreements.Add($"{path}: the loader does not read this key in the test's configuration");
                continue;
            }

            foreach (var candidate in candidates)
            {
                var bySchema = Evaluate(schema, candidate);
                var byLoader = LoaderAccepts(path, candidate, rangeIsSpelling: kind == "duration");
                if (bySchema != byLoader)
                {
                    disagreements.Add($"{path} = {candidate?.ToJsonString() ?? "null"}: the schema {(bySchema ? "accepts" : "refuses")} it, the loader {(byLoader ? "accepts" : "refuses")} it");
                }
            }
        }

        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    private static IEnumerable<JsonNode?> EnumSpellings(JsonObject schema)
    {
        var values = Enum(schema)!.Select(v => v!.ToString()).ToList();
        foreach (var value in values)
        {
            yield return value;
            yield return value.ToLowerInvariant();
            yield return value.ToUpperInvariant();
            yield return $" {value} ";
        }

        yield return string.Join(", ", values.Take(2));
        yield return "0";
        yield return "Bogus";
    }

    private static JsonArray? Enum(JsonObject schema) =>
        schema["enum"] as JsonArray ?? (schema["anyOf"] as JsonArray)?.Select(s => s!["enum"]).OfType<JsonArray>().FirstOrDefault();

    /// <summary>Keys some readers need before they read the key under test (a provider, a redirect's target, the rule Preload is checked against).</summary>
    private static readonly (string Under, Dictionary<string, string?> Keys)[] Context =
    [
        (":Acme:Dns:TsigAlgorithm", new() { ["Gateway:Acme:Dns:Provider"] = "Rfc2136" }),
        (":Acme:Dns:", new() { ["Gateway:Acme:Dns:Provider"] = "Exec" }),
        (":Redirects:x:", new() { ["Gateway:Proxy:Redirects:x:Hosts:0"] = "old.test", ["Gateway:Proxy:Redirects:x:To"] = "https://app.test" }),
        (":Hsts:Preload", new() { ["Gateway:Proxy:Routes:x:Hsts:IncludeSubDomains"] = "true", ["Gateway:Proxy:Routes:x:Hsts:MaxAge"] = "400d" }),
    ];

    /// <param name="rangeIsSpelling">A duration out of its key's range is still one the loader reads: the schema describes a duration's spelling, not each key's range.</param>
    private static bool LoaderAccepts(string path, JsonNode? value, bool rangeIsSpelling = false)
    {
        var text = value switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "True" : "False",
            _ => value.ToJsonString(),
        };
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, setting) in Context.FirstOrDefault(c => path.Contains(c.Under, StringComparison.Ordinal)).Keys ?? [])
        {
            values[key] = setting;
        }

        values[path] = text;
        ConfigUnderTest.Read(values, "/", out var errors);
        return !errors.All.Any(e => e.Path.Equals(path, StringComparison.OrdinalIgnoreCase) && !(rangeIsSpelling && e.Message.Contains("out of range", StringComparison.Ordinal)));
    }

    private static bool Evaluate(JsonObject schema, JsonNode? value)
    {
        var standalone = schema.DeepClone().AsObject();
        standalone["$defs"] = SchemaDocument["$defs"]!.DeepClone();
        using var document = JsonDocument.Parse(value?.ToJsonString() ?? "null");
        return JsonSchema.FromText(standalone.ToJsonString()).Evaluate(document.RootElement).IsValid;
    }

    /// <summary>Every key below <paramref name="path"/> whose value is a duration, a boolean or one of a list; maps and lists get one entry, "x" or 0.</summary>
    private static IEnumerable<(string Path, JsonObject Schema, string Kind)> Leaves(string path, JsonObject schema)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (key, value) in properties)
            {
                foreach (var leaf in Leaves(path + ":" + key, Resolve(value!)))
                {
                    yield return leaf;
                }
            }

            yield break;
        }

        if (schema["additionalProperties"] is JsonObject entry)
        {
            foreach (var leaf in Leaves(path + ":x", Resolve(entry)))
            {
                yield return leaf;
            }

            yield break;
        }

        if (schema["items"] is JsonObject item)
        {
            foreach (var leaf in Leaves(path + ":0", Resolve(item)))
            {
                yield return leaf;
            }

            yield break;
        }

        var original = schema;
        if (IsDuration(original))
        {
            yield return (path, original, "duration");
        }
        else if (Enum(original) is not null)
        {
            yield return (path, original, "enum");
        }
        else if (IsBoolean(original))
        {
            yield return (path, original, "boolean");
        }
    }

    private static bool IsBoolean(JsonObject schema) =>
        (schema["type"] is { } type && type.ToJsonString().Contains("\"boolean\"", StringComparison.Ordinal))
        || (schema["anyOf"] as JsonArray ?? []).Any(s => s!["type"]?.ToJsonString() == "\"boolean\"");

    /// <summary>A duration is a reference to the "duration" definition, which <see cref="Resolve"/> leaves unresolved.</summary>
    private static bool IsDuration(JsonObject schema) => schema["$ref"]?.GetValue<string>() == "#/$defs/duration";

    private static JsonObject Resolve(JsonNode node)
    {
        var schema = node.AsObject();
        return schema["$ref"] is { } reference && reference.GetValue<string>() != "#/$defs/duration"
            ? Resolve(SchemaDocument["$defs"]![reference.GetValue<string>()["#/$defs/".Length..]]!)
            : schema;
    }
}
