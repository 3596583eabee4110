using Gateway.Configuration;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Configuration;

public sealed class ChildKeyIndexTests
{
    // Array positions past 9 (numeric order), a colon inside a property name, an empty name, names that differ in case
    // only under different parents, values at several depths, and an empty object and array (no keys below them).
    private const string Awkward = """
        {
          "Gateway": { "Proxy": { "Routes": { "r1": { "Access": [ "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11" ] } } } },
          "ReverseProxy": {
            "Routes": { "B": { "Match": { "Hosts": [ "x" ], "Path": "/" } }, "a": { "ClusterId": "c" }, "10": { "ClusterId": "t" }, "9": { "ClusterId": "n" } },
            "Clusters": { "c": { "Destinations": { "d1": { "Address": "http://127.0.0.1:1/" } }, "Metadata": { } } }
          },
          "with:colon": { "inner": "v" },
          "": { "empty": "e" },
          "Case": { "Key": "1" },
          "other": { "case": { "key": "2" } },
          "Empty": [ ],
          "Value": "top"
        }
        """;

    [Fact]
    public void Every_section_lists_the_children_the_stock_json_provider_lists()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-test-").FullName, "appsettings.json");
        File.WriteAllText(file, Awkward);

        // A provider before the file feeds it earlier keys, as the environment and command line do after it.
        var earlier = new Dictionary<string, string?> { ["ReverseProxy:Routes:z:ClusterId"] = "c", ["Gateway:Extra"] = "1" };
        var stock = new ConfigurationBuilder().AddInMemoryCollection(earlier).AddJsonFile(file).Build();
        var indexed = new ConfigurationBuilder().AddInMemoryCollection(earlier)
            .Add<IndexedJsonConfigurationSource>(source => source.Stream = File.OpenRead(file))
            .Build();

        var paths = stock.AsEnumerable().Select(kv => kv.Key).ToList();
        Assert.Contains("ReverseProxy:Routes:10:ClusterId", paths);
        Assert.Contains("with:colon:inner", paths);
        Assert.Equal(paths.Order(StringComparer.Ordinal), indexed.AsEnumerable().Select(kv => kv.Key).Order(StringComparer.Ordinal));
        foreach (var path in paths.Append("Empty").Append("ReverseProxy:Clusters:c:Metadata").Append("nothing:here"))
        {
            // Every ancestor of every key, and sections that have no keys below them.
            for (var end = path.Length; end >= 0; end = end == 0 ? -1 : path.LastIndexOf(':', end - 1))
            {
                var section = path[..Math.Max(end, 0)];
                Assert.Equal(Children(stock, section), Children(indexed, section));
                Assert.Equal(stock.GetSection(section).Exists(), indexed.GetSection(section).Exists());
                Assert.Equal(stock.GetSection(section).Value, indexed.GetSection(section).Value);
            }
        }

        Assert.Equal(["9", "10", "a", "B", "z"], Children(indexed, "ReverseProxy:Routes"));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"{i}"), Children(indexed, "Gateway:Proxy:Routes:r1:Access"));
    }

    [Fact]
    public void A_value_set_after_loading_is_listed()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-test-").FullName, "appsettings.json");
        File.WriteAllText(file, Awkward);
        var indexed = new ConfigurationBuilder()
            .Add<IndexedJsonConfigurationSource>(source => source.Stream = File.OpenRead(file))
            .Build();
        Assert.Equal(["10", "9", "a", "B"], Children(indexed, "ReverseProxy:Routes").Order(StringComparer.OrdinalIgnoreCase));

        indexed["ReverseProxy:Routes:new:ClusterId"] = "c";

        Assert.Contains("new", Children(indexed, "ReverseProxy:Routes"));
    }

    private static List<string> Children(IConfiguration configuration, string path) =>
        (path.Length == 0 ? configuration.GetChildren() : configuration.GetSection(path).GetChildren()).Select(c => c.Key).ToList();
}
