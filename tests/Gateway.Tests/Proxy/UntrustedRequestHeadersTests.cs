using System.Text.RegularExpressions;
using Gateway.Proxy;
using Gateway.Tests.Configuration;

namespace Gateway.Tests.Proxy;

public sealed partial class UntrustedRequestHeadersTests
{
    /// <summary>An application's author reads the table to know which headers they may trust: it must be the code's list.</summary>
    [Fact]
    public void The_configuration_reference_lists_every_dropped_header_and_no_other()
    {
        var lines = File.ReadAllLines(Path.Combine(CheckTests.RepositoryRoot(), "docs", "configuration.md"));
        var header = Array.FindIndex(lines, line => line.StartsWith("| what a client could fake |", StringComparison.Ordinal));
        Assert.True(header >= 0, "the table of dropped headers is missing from docs/configuration.md");

        var documented = lines.Skip(header + 2).TakeWhile(line => line.StartsWith('|'))
            .Select(row => row.Split('|', StringSplitOptions.RemoveEmptyEntries)[1])
            .SelectMany(cell => HeaderName().Matches(cell).Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();

        Assert.Equal(UntrustedRequestHeaders.Dropped.Order(StringComparer.OrdinalIgnoreCase), documented.Order(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Names only: the table's cells also quote values (`On`) and other keys (`PathRules`).</summary>
    [GeneratedRegex("`([A-Za-z]+(?:-[A-Za-z]+)+|Forwarded)`")]
    private static partial Regex HeaderName();
}
