using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Infrastructure;
using Json.Schema;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class SchemaTests
{
    private static readonly string Root = CheckTests.RepositoryRoot();
    private static readonly JsonObject SchemaDocument = JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "appsettings.schema.json")))!.AsObject();

    // Built once: the library registers a schema by its $id, process-wide.
    private static readonly JsonSchema Schema = JsonSchema.FromText(SchemaDocument.ToJsonString());

    public static TheoryData<string> ShippedConfigs => ["appsettings.json", "deploy/appsettings.Production.example.json"];

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void Every_shipped_config_is_valid_against_the_schema(string file)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, file)));

        var result = Schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.True(result.IsValid, string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null)
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Fact]
    public void The_schema_rejects_a_misspelt_key()
    {
        using var document = JsonDocument.Parse("""{ "Gateway": { "ClientHello": { "Timout": "5s" } } }""");

        Assert.False(Schema.Evaluate(document.RootElement).IsValid);
    }

    /// <summary>
    /// Walks every object the schema describes under Gateway and asks the loader which keys it accepts there
    /// (by offering it an unknown one): the two lists must be the same, so neither can drift from the other.
    /// </summary>
    [Fact]
    public void The_schema_and_the_loader_accept_exactly_the_same_keys()
    {
        var sections = new List<(string Path, JsonObject Schema)>();
        Collect("Gateway", Resolve(SchemaDocument["$defs"]!["gateway"]!), sections);
        Assert.True(sections.Count >= 9, $"only {sections.Count} sections found in the schema");

        foreach (var (path, schema) in sections)
        {
            var documented = schema["properties"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
            var accepted = AcceptedKeys(path);
            Assert.True(documented.SequenceEqual(accepted), $"{path}: the schema documents [{string.Join(", ", documented)}] but the loader accepts [{string.Join(", ", accepted)}]");
        }
    }

    private static void Collect(string path, JsonObject schema, List<(string, JsonObject)> sections)
    {
        if (schema["properties"] is JsonObject properties)
        {
            sections.Add((path, schema));
            foreach (var (key, value) in properties)
            {
                Collect(path + ":" + key, Resolve(value!), sections);
            }
        }

        // Maps keyed by id or host: describe one entry.
        if (schema["additionalProperties"] is JsonObject entry)
        {
            Collect(path + ":x.test", Resolve(entry), sections);
        }
    }

    private static JsonObject Resolve(JsonNode node)
    {
        var schema = node.AsObject();
        return schema["$ref"] is { } reference
            ? Resolve(SchemaDocument["$defs"]![reference.GetValue<string>()["#/$defs/".Length..]]!)
            : schema;
    }

    private static List<string> AcceptedKeys(string path)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [path + ":NotAKey"] = "x" })
            .Build();
        ConfigUnderTest.Read(configuration, "/", out var errors);
        var error = errors.All.SingleOrDefault(e => e.Path == path + ":NotAKey");
        Assert.True(error is not null, $"the loader does not check keys at {path}; errors: {string.Join("; ", errors.All)}");
        const string marker = "expected one of: ";
        return error.Message[(error.Message.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..]
            .Split(", ").Order(StringComparer.Ordinal).ToList();
    }
}
