using Gateway.Hosting;
using Gateway.Tests.Configuration;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Architecture;

/// <summary>
/// A reader finds a type by its name: one top-level type per file, the file named after it, in the folder its
/// namespace names, and every HTTP step a <c>*Middleware</c>.
/// </summary>
public sealed class SourceLayoutTests
{
    /// <summary>
    /// Files (relative to src/Gateway, '/' separated) that may declare several top-level types: the tiny records of
    /// one configuration section. The first type is the one the file is named after.
    /// </summary>
    private static readonly string[] SeveralTypesAllowed =
    [
        // The /stats document and the small view records it is made of: one JSON shape, read together.
        "Admin/StatsDocument.cs",
    ];

    private static readonly string Source = Path.Combine(CheckTests.RepositoryRoot(), "src", "Gateway");

    private static readonly Lazy<List<(string Path, CSharpOutline Outline)>> Files = new(ReadFiles);

    [Fact]
    public void One_type_per_file()
    {
        var allowed = new HashSet<string>(SeveralTypesAllowed, StringComparer.Ordinal);
        var violators = Files.Value
            .Where(file => file.Outline.Types.Count > 1 && !allowed.Contains(file.Path))
            .Select(file => $"  {file.Path}: {file.Outline.Types.Count} types: {string.Join(", ", file.Outline.Types.Select(type => type.Name))}")
            .ToList();
        var stale = SeveralTypesAllowed.Where(path => !Files.Value.Any(file => file.Path == path && file.Outline.Types.Count > 1))
            .Select(path => $"  {path} is allowed several types but no longer has them: drop it from SeveralTypesAllowed")
            .ToList();

        Assert.True(violators.Count + stale.Count == 0, $"{violators.Count} files declare more than one top-level type (one per file, or add the file to SeveralTypesAllowed):\n" + string.Join("\n", violators.Concat(stale)));
    }

    [Fact]
    public void File_name_matches_its_type()
    {
        var violators = Files.Value
            .Where(file => file.Outline.Types.Count > 0)
            .Where(file => file.Outline.Types[0].Name != Path.GetFileNameWithoutExtension(file.Path))
            .Select(file => $"  {file.Path} declares {file.Outline.Types[0].Kind} {file.Outline.Types[0].Name}")
            .ToList();

        Assert.True(violators.Count == 0, $"{violators.Count} files not named after their (first) top-level type:\n" + string.Join("\n", violators));
    }

    [Fact]
    public void Namespace_matches_folder()
    {
        var violators = new List<string>();
        foreach (var (path, outline) in Files.Value.Where(file => file.Outline.Types.Count > 0))
        {
            var folder = Path.GetDirectoryName(path)!.Replace('/', '.');
            var expected = folder.Length == 0 ? "Gateway" : "Gateway." + folder;
            if (outline.Namespaces.Count != 1 || outline.Namespaces[0] != expected)
            {
                violators.Add($"  {path}: namespace {(outline.Namespaces.Count == 0 ? "(none)" : string.Join(", ", outline.Namespaces))}, expected {expected}");
            }
        }

        Assert.True(violators.Count == 0, $"{violators.Count} files whose namespace is not their folder's:\n" + string.Join("\n", violators));
    }

    [Fact]
    public void Http_steps_are_middleware()
    {
        var steps = typeof(GatewayApplication).Assembly.GetTypes()
            .Where(type => type.IsClass && type.GetConstructors(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
                .Any(constructor => constructor.GetParameters().Any(parameter => parameter.ParameterType == typeof(RequestDelegate))))
            .ToList();
        Assert.True(steps.Count >= 3, $"only {steps.Count} classes take a RequestDelegate");

        var violators = steps.Where(type => !type.Name.EndsWith("Middleware", StringComparison.Ordinal))
            .Select(type => "  " + type.FullName!.Replace('+', '.'))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(violators.Count == 0, "classes constructed with the next RequestDelegate are HTTP steps and are named *Middleware:\n" + string.Join("\n", violators));
    }

    [Fact]
    public void The_outline_reads_declarations()
    {
        // The source rules above are only as good as this reading of a file.
        var outline = CSharpOutline.Read(""""
            using System;
            namespace Gateway.Example;
            // class Commented { }
            [Attr("class Quoted {")]
            internal sealed partial class First<T>(RequestDelegate next) where T : class
            {
                private const char Brace = '{';
                private readonly string _text = $"{{ {(next is null ? "}" : "{")} }} {Brace:X}";
                private readonly string _raw = $$"""
                    {{ "}" }} { class Inside { }
                    """;
                private sealed class Nested { }
            }
            /* struct Hidden { */
            internal readonly record struct Second(int Class);
            public delegate Task<int> Third<T>(string @record);
            internal enum Fourth { A, B }
            file interface Fifth : IDisposable;
            internal record Sixth;
            """");

        Assert.Equal(["Gateway.Example"], outline.Namespaces);
        Assert.Equal(
            [("class", "First"), ("record struct", "Second"), ("delegate", "Third"), ("enum", "Fourth"), ("interface", "Fifth"), ("record", "Sixth")],
            outline.Types);

        var block = CSharpOutline.Read("namespace A.B { class C { struct D { } } namespace E { enum F { } } } delegate void G();");
        Assert.Equal(["A.B", "E"], block.Namespaces);
        Assert.Equal([("class", "C"), ("enum", "F"), ("delegate", "G")], block.Types);
    }

    private static List<(string Path, CSharpOutline Outline)> ReadFiles()
    {
        var files = Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Source, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith("obj/", StringComparison.Ordinal) && !path.StartsWith("bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(path => (path, Outline(path)))
            .ToList();
        Assert.True(files.Count > 50, $"only {files.Count} source files under {Source}");
        return files;
    }

    private static CSharpOutline Outline(string path)
    {
        try
        {
            return CSharpOutline.Read(File.ReadAllText(Path.Combine(Source, path)));
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"src/Gateway/{path}: {e.Message}", e);
        }
    }
}
