using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gateway.Core;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Gateway.Tests.Proxy;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Real mistakes fed to <c>--check</c>, each refused with exit code 2 and an error naming its path: a misspelling of
/// every key docs/configuration.md documents and of every key YARP reads (generated, so the list cannot go stale),
/// wrong types, wrong nesting, durations in every form. And every JSON example in the README and docs/ passes.
/// </summary>
public sealed partial class MistakeCorpusTests
{
    private static readonly string Root = CheckTests.RepositoryRoot();

    /// <summary>A file every mistake is added to; on its own it passes.</summary>
    private static JsonObject Base() => JsonNode.Parse(TestGateway.Compose(
        null,
        new JsonObject
        {
            ["Routes"] = new JsonObject { ["app"] = new JsonObject { ["ClusterId"] = "app", ["Match"] = new JsonObject { ["Hosts"] = new JsonArray("app.example") } } },
            ["Clusters"] = new JsonObject { ["app"] = new JsonObject { ["Destinations"] = new JsonObject { ["d1"] = new JsonObject { ["Address"] = "http://127.0.0.1:9080/" } } } },
        }))!.AsObject();

    [Fact]
    public async Task The_base_file_passes()
    {
        var (exitCode, output) = await CheckAsync(Base());

        Assert.True(exitCode == 0, output);
    }

    /// <summary>
    /// Every key and section of the reference and of YARP's reader, its name misspelt by a dropped letter: refused
    /// with the misspelt path and the key meant.
    /// </summary>
    [Fact]
    public async Task A_misspelling_of_every_documented_key_is_refused_with_its_path_and_the_key_meant()
    {
        var documented = ConfigurationReferenceTests.DocumentedKeys(File.ReadAllLines(Path.Combine(Root, "docs/configuration.md"))).Keys;
        var yarp = YarpSectionCheckTests.KeysYarpReads.Select(k => "ReverseProxy:" + k);
        var keys = documented.Concat(yarp).SelectMany(Sections).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        Assert.True(keys.Count >= 150, $"only {keys.Count} keys to misspell");

        var failures = new List<string>();
        foreach (var key in keys)
        {
            var levels = key.Split(':');
            var parent = key[..(key.LastIndexOf(':') + 1)];
            var siblings = keys.Where(k => k.StartsWith(parent, StringComparison.Ordinal) && k.LastIndexOf(':') == parent.Length - 1)
                .Select(k => k[parent.Length..]).ToList();
            var misspelt = Misspell(levels[^1], siblings);
            var path = string.Join(':', levels[..^1].Append(misspelt));
            var config = Base();
            Set(config, path, "1");

            var (exitCode, output) = await CheckAsync(config);

            var concrete = Concrete(path);
            if (exitCode != 2 || !Lines(output).Any(line => line.StartsWith(concrete + ": ", StringComparison.Ordinal) && Regex.IsMatch(line, $@"\b{Regex.Escape(levels[^1].TrimStart('$'))}\b")))
            {
                failures.Add($"{concrete} (for {key}): exit code {exitCode}\n    {string.Join("\n    ", Lines(output))}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {keys.Count} misspellings not refused with their path and the key meant:\n" + string.Join("\n", failures));
    }

    [Theory]
    [InlineData("Gateway:ClientHello:MaxBytes", "lots", "Gateway:ClientHello:MaxBytes")]
    [InlineData("Gateway:AccessLog:Enabled", "yes", "Gateway:AccessLog:Enabled")]
    [InlineData("ReverseProxy:Clusters:app:HealthCheck:Active:Enabled", "yes", "ReverseProxy:Clusters:app:HealthCheck:Active:Enabled")]
    [InlineData("ReverseProxy:Clusters:app:HttpClient:MaxConnectionsPerServer", "lots", "ReverseProxy:Clusters:app:HttpClient:MaxConnectionsPerServer")]
    [InlineData("ReverseProxy:Routes:app:Order", "1st", "ReverseProxy:Routes:app:Order")]
    [InlineData("ReverseProxy:Routes:app:Match:Hosts", "app.example", "ReverseProxy:Routes:app:Match:Hosts")]
    [InlineData("ReverseProxy:Listeners:Https", "127.0.0.1:0", "ReverseProxy:Listeners")]
    [InlineData("ReverseProxy:Gateway:Listeners:Https", "127.0.0.1:0", "ReverseProxy:Gateway")]
    [InlineData("ReverseProxy:Routes:app:Hosts:0", "app.example", "ReverseProxy:Routes:app:Hosts")]
    [InlineData("ReverseProxy:Routes:app:Match:Hosts:0:Host", "app.example", "ReverseProxy:Routes:app:Match:Hosts:0")]
    [InlineData("ReverseProxy:Clusters:app:Destinations:d1:Address:Url", "http://127.0.0.1:9080/", "ReverseProxy:Clusters:app:Destinations:d1:Address")]
    [InlineData("Routes:app:ClusterId", "app", "Routes")]
    [InlineData("Clusters:app:Destinations:d1:Address", "http://127.0.0.1:9080/", "Clusters")]
    [InlineData("Gateway:Passthrough:Listeners:Https", "127.0.0.1:0", "Gateway:Passthrough:Listeners")]
    [InlineData("Gateway:Routes:app:ClusterId", "app", "Gateway:Routes")]
    [InlineData("Gateway:Gateway:Listeners:Https", "127.0.0.1:0", "Gateway:Gateway")]
    public async Task A_wrong_type_or_nesting_is_refused_with_its_path(string key, string value, string path)
    {
        var config = Base();
        Set(config, key, value);

        var (exitCode, output) = await CheckAsync(config);

        Assert.Equal(2, exitCode);
        Assert.Contains(Lines(output), line => line.StartsWith(path + ": ", StringComparison.Ordinal));
    }

    /// <summary>Gateway:Acme:Dns, one mistake each: refused with the key's path and what to write instead; a secret is never repeated.</summary>
    [Theory]
    [InlineData("""{ "Provider": "Rfc2163" }""", "Gateway:Acme:Dns:Provider", "did you mean 'Rfc2136'?")]
    [InlineData("""{ "Provider": "route53" }""", "Gateway:Acme:Dns:Provider", "use one of: Rfc2136, Exec")]
    [InlineData("""{ "Server": "127.0.0.1" }""", "Gateway:Acme:Dns:Provider", "a provider is required")]
    [InlineData("""{ "Provider": "Rfc2136", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:Server", "needs the primary server")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "ns1.example.com", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:Server", "an IP address")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1:99999", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:Server", "is not \"address\"")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:TsigKeyName", "needs the TSIG key's name")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigAlgorithm": "hmac-sha384", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:TsigAlgorithm", "use one of: hmac-sha256, hmac-sha512")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigAlgorithm": "hmac-sha265", "TsigSecret": "c2VjcmV0" }""", "Gateway:Acme:Dns:TsigAlgorithm", "did you mean 'hmac-sha256'?")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k" }""", "Gateway:Acme:Dns:TsigSecret", "TsigSecret (base64) or TsigSecretFile")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "s3cr3t!not-base64" }""", "Gateway:Acme:Dns:TsigSecret", "not base64")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0", "TsigSecretFile": "k.key" }""", "Gateway:Acme:Dns:TsigSecretFile", "not both")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecretFile": "missing.key" }""", "Gateway:Acme:Dns:TsigSecretFile", "cannot be read")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0", "Command": "/bin/true" }""", "Gateway:Acme:Dns:Command", "belongs to the Exec provider")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0", "Zone": "*.example.com" }""", "Gateway:Acme:Dns:Zone", "not a zone name")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0", "PropagationServers": [ "localhost" ] }""", "Gateway:Acme:Dns:PropagationServers:0", "an IP address")]
    [InlineData("""{ "Provider": "Rfc2136", "Server": "127.0.0.1", "TsigKeyName": "k", "TsigSecret": "c2VjcmV0", "PropagationTimeout": "0s" }""", "Gateway:Acme:Dns:PropagationTimeout", "out of range")]
    [InlineData("""{ "Provider": "Exec" }""", "Gateway:Acme:Dns:Command", "needs the program to run")]
    [InlineData("""{ "Provider": "Exec", "Command": "/nonexistent/dns-hook" }""", "Gateway:Acme:Dns:Command", "does not exist")]
    [InlineData("""{ "Provider": "Exec", "Command": "no-such-dns-hook-program" }""", "Gateway:Acme:Dns:Command", "not found on the PATH")]
    [InlineData("""{ "Provider": "Exec", "Command": "/etc/passwd" }""", "Gateway:Acme:Dns:Command", "not executable")]
    [InlineData("""{ "Provider": "Exec", "Command": "/bin/true", "Server": "127.0.0.1" }""", "Gateway:Acme:Dns:Server", "belongs to the Rfc2136 provider")]
    [InlineData("""{ "Provider": "Exec", "Command": "/bin/true", "CommandTimeout": "2 minutes" }""", "Gateway:Acme:Dns:CommandTimeout", "not a duration")]
    public async Task A_dns_provider_mistake_is_refused_with_its_path(string dns, string path, string fragment)
    {
        var config = Base();
        config["Gateway"]!["Acme"] = new JsonObject { ["Dns"] = JsonNode.Parse(dns) };

        var (exitCode, output) = await CheckAsync(config);

        Assert.Equal(2, exitCode);
        Assert.True(Lines(output).Any(line => line.StartsWith(path + ": ", StringComparison.Ordinal) && line.Contains(fragment, StringComparison.Ordinal)), output);
        Assert.DoesNotContain("s3cr3t", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_01_and_wildcard_hosts_without_a_dns_provider_are_refused()
    {
        var config = Base();
        config["Gateway"]!["Acme"] = new JsonObject { ["Challenges"] = new JsonArray("dns-01"), ["Hosts"] = new JsonArray("*.app.example") };

        var (exitCode, output) = await CheckAsync(config);

        Assert.Equal(2, exitCode);
        Assert.Contains(Lines(output), line => line.StartsWith("Gateway:Acme:Challenges: dns-01 needs Gateway:Acme:Dns", StringComparison.Ordinal));
        Assert.Contains(Lines(output), line => line.StartsWith("Gateway:Acme:Hosts:0: '*.app.example' is a wildcard", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, bool> Durations()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var key in new[] { "Gateway:ClientHello:Timeout", "ReverseProxy:Clusters:app:HealthCheck:Active:Timeout", "ReverseProxy:Clusters:app:HealthCheck:Passive:ReactivationPeriod" })
        {
            foreach (var good in new[] { "00:00:05", "0.00:00:05", "00:00:00.250", "250ms", "5s", "1.5s", "2m", " 5s " })
            {
                data.Add(key, good, true);
            }

            foreach (var bad in new[] { "5", "5 s", "5sec", "five", "-5s", "-00:00:05", "00:00:5x", "5s5" })
            {
                data.Add(key, bad, false);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Durations))]
    public async Task Durations_are_read_in_every_form_everywhere_or_refused_with_the_path(string key, string value, bool good)
    {
        var config = Base();
        Set(config, key, value);

        var (exitCode, output) = await CheckAsync(config);

        if (good)
        {
            Assert.True(exitCode == 0, output);
        }
        else
        {
            Assert.Equal(2, exitCode);
            var line = Assert.Single(Lines(output));
            Assert.StartsWith($"{key}: '{value}' is not a duration", line, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Every ```json (or jsonc) block of README.md and docs/*.md, a whole file or a fragment of one (wrapped; a fragment of the
    /// Gateway section goes under Gateway), passes. A block that is deliberately not a config is preceded by
    /// <c>&lt;!-- not a config --&gt;</c>. Placeholders an operator replaces are replaced here: the password hash
    /// written <c>pbkdf2-sha256$210000$...$...</c> by a real one.
    /// </summary>
    [Fact]
    public async Task Every_json_example_in_the_docs_passes_the_check()
    {
        var hash = PasswordHash.Create("example");
        var failures = new List<string>();
        var examples = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Order(StringComparer.Ordinal).Prepend(Path.Combine(Root, "README.md")))
        {
            foreach (var (text, line) in JsonBlocks(file))
            {
                examples++;
                var config = Wrap(text.Replace("pbkdf2-sha256$210000$...$...", hash, StringComparison.Ordinal));
                var (exitCode, output) = await CheckAsync(config);
                if (exitCode != 0)
                {
                    failures.Add($"{Path.GetRelativePath(Root, file)}:{line}: exit code {exitCode}\n    {string.Join("\n    ", Lines(output))}");
                }
            }
        }

        Assert.True(examples >= 8, $"only {examples} JSON examples found");
        Assert.True(failures.Count == 0, "examples that do not pass --check:\n" + string.Join("\n", failures));
    }

    /// <summary>The key and every section above it whose name is fixed (not an id or index the operator chooses).</summary>
    private static IEnumerable<string> Sections(string key)
    {
        var levels = key.Split(':');
        for (var i = 0; i < levels.Length; i++)
        {
            if (!levels[i].StartsWith('{'))
            {
                yield return string.Join(':', levels[..(i + 1)]);
            }
        }
    }

    /// <summary>The name with one letter dropped (from the middle, or the next one that makes no other key of its level).</summary>
    private static string Misspell(string name, List<string> siblings)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var at = (name.Length / 2 + i) % name.Length;
            var misspelt = name.Remove(at, 1);
            if (misspelt.Length > 0 && misspelt != "$" && !siblings.Contains(misspelt, StringComparer.OrdinalIgnoreCase))
            {
                return misspelt;
            }
        }

        throw new InvalidOperationException("no misspelling of " + name);
    }

    /// <summary>The path as written in the file: an id level is "app", an index 0.</summary>
    private static string Concrete(string path) =>
        string.Join(':', path.Split(':').Select(level => level switch { "{n}" => "0", _ when level.StartsWith('{') => "app", _ => level }));

    /// <summary>Sets <paramref name="path"/> (levels as in <see cref="Concrete"/>) in <paramref name="config"/>, making the levels above it.</summary>
    private static void Set(JsonObject config, string path, string value)
    {
        var levels = Concrete(path).Split(':');
        JsonNode node = config;
        for (var i = 0; i < levels.Length - 1; i++)
        {
            var isIndex = path.Split(':')[i + 1] is "{n}" or "0";
            node = Child(node, levels[i], () => isIndex ? new JsonArray() : new JsonObject());
        }

        if (node is JsonArray array)
        {
            array.Add(value);
        }
        else
        {
            node[levels[^1]] = value;
        }
    }

    private static JsonNode Child(JsonNode node, string level, Func<JsonNode> create)
    {
        if (node is JsonArray array)
        {
            var index = int.Parse(level, System.Globalization.CultureInfo.InvariantCulture);
            while (array.Count <= index)
            {
                array.Add(create());
            }

            if (array[index] is JsonValue)
            {
                array[index] = create();
            }

            return array[index]!;
        }

        var child = node[level];
        if (child is null or JsonValue)
        {
            child = create();
            node[level] = child;
        }

        return child;
    }

    private static JsonObject Wrap(string text)
    {
        var node = JsonNode.Parse(text.TrimStart().StartsWith('{') ? text : "{" + text + "}", documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        return node.Any(p => p.Key is "Gateway" or "ReverseProxy" or "Logging" or "$schema") ? node : new JsonObject { ["Gateway"] = node };
    }

    private static IEnumerable<(string Text, int Line)> JsonBlocks(string file)
    {
        var lines = File.ReadAllLines(file);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() is not ("```json" or "```jsonc"))
            {
                continue;
            }

            var start = i;
            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            i = end;
            var previous = lines.Take(start).LastOrDefault(l => l.Trim().Length > 0) ?? "";
            if (NotAConfig().IsMatch(previous))
            {
                continue;
            }

            yield return (string.Join('\n', lines[(start + 1)..end]), start + 1);
        }
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<(int ExitCode, string Output)> CheckAsync(JsonObject config)
    {
        var directory = Directory.CreateTempSubdirectory("gateway-mistake-").FullName;
        try
        {
            var file = Path.Combine(directory, "appsettings.json");
            await File.WriteAllTextAsync(file, config.ToJsonString());
            using var output = new StringWriter();
            var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);
            return (exitCode, output.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"^\s*<!--\s*not a config\s*-->\s*$")]
    private static partial Regex NotAConfig();
}
