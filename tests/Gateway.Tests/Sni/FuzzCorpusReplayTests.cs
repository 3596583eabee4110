using Gateway.Fuzz.Targets;

namespace Gateway.Tests.Sni;

/// <summary>
/// Replays every committed fuzz input (tests/fuzz/corpus/&lt;target&gt;: seeds, saved queue entries and minimized
/// crashes) through the same invariant checks the AFL harness runs, so a finding stays fixed once it is fixed.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly string CorpusRoot = Path.Combine(FindRepositoryRoot(), "tests", "fuzz", "corpus");

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.All)
        {
            var folder = Path.Combine(CorpusRoot, target.Name);
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            {
                data.Add(target.Name, file!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Corpus_input_satisfies_the_target_invariants(string target, string file)
    {
        var input = File.ReadAllBytes(Path.Combine(CorpusRoot, target, file));

        FuzzTargets.Find(target)!.Check(input);
    }

    [Fact]
    public void Every_fuzz_target_has_a_seed_corpus()
    {
        Assert.All(FuzzTargets.All, target =>
        {
            var folder = Path.Combine(CorpusRoot, target.Name);
            Assert.True(Directory.Exists(folder), $"{folder} is missing");
            Assert.NotEmpty(Directory.GetFiles(folder));
        });
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Gateway.sln above {AppContext.BaseDirectory}.");
    }
}
