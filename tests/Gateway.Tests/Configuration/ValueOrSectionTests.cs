using System.Text;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.Tests.Configuration;

/// <summary>
/// A value where a list or section belongs, a list or section where a value belongs, and a key below a value: each is
/// one error with its path, from the file and from an override alike. Read as written, each would be ignored.
/// </summary>
public sealed class ValueOrSectionTests
{
    private const string ReverseProxy = """
        "ReverseProxy": {
          "Routes": { "app": { "ClusterId": "c", "Match": { "Hosts": [ "app.test" ] } } },
          "Clusters": { "c": { "Destinations": { "d": { "Address": "http://127.0.0.1:9" } } } }
        }
        """;

    [Theory]
    [InlineData("""{ "Proxy": { "Routes": { "app": { "Access": "deny all" } } } }""", "Gateway:Proxy:Routes:app:Access", "'deny all' is a value, but Access is a list: write [ \"deny all\" ]")]
    [InlineData("""{ "Admin": { "AllowedNetworks": "127.0.0.0/8" } }""", "Gateway:Admin:AllowedNetworks", "is a list")]
    [InlineData("""{ "Proxy": { "Routes": { "app": { "Users": "alice" } } } }""", "Gateway:Proxy:Routes:app:Users", "'alice' is a value, but Users is a section of named entries")]
    [InlineData("""{ "Tls": { "MinProtocol": [ "Tls13" ] } }""", "Gateway:Tls:MinProtocol", "MinProtocol is a value, not a list or section")]
    [InlineData("""{ "ClientHello": { "MaxBytes": { "a": 1 } } }""", "Gateway:ClientHello:MaxBytes", "MaxBytes is a value")]
    [InlineData("""{ "ClientHello": { "Timeout": [ "5s" ] } }""", "Gateway:ClientHello:Timeout", "Timeout is a value")]
    [InlineData("""{ "ShutdownTimeout": { } }""", "Gateway:ShutdownTimeout", "not an empty list or section")]
    [InlineData("""{ "Tls": { "CipherSuites": { "a": "TLS_AES_128_GCM_SHA256" } } }""", "Gateway:Tls:CipherSuites", "'a' is a key, but CipherSuites is a list")]
    [InlineData("""{ "ProxyProtocol": { "TrustedNetworks": "127.0.0.1" } }""", "Gateway:ProxyProtocol:TrustedNetworks", "is a list")]
    [InlineData("""{ "Limits": { "Http": "off" } }""", "Gateway:Limits:Http", "'off' is a value, but Http is a section: write { ... } with the keys RequestHeadersTimeout")]
    [InlineData("""{ "Listeners": { "Https": "127.0.0.1:0", "Https:x": "1" } }""", "Gateway:Listeners:Https", "so is Gateway:Listeners:Https:x below it")]
    [InlineData("""{ "Listeners": { "Admin": [ "127.0.0.1:0" ] } }""", "Gateway:Listeners:Admin", "Admin is a value")]
    [InlineData("""{ "Passthrough": { "Routes": { "ex": { "Hosts": "mail.test", "ClusterId": "ex" } }, "Clusters": { "ex": { "Destinations": { "a": { "Address": "127.0.0.1:9" } } } } } }""", "Gateway:Passthrough:Routes:ex:Hosts", "'mail.test' is a value, but Hosts is a list: write [ \"mail.test\" ]")]
    [InlineData("""{ "Passthrough": { "Routes": { "ex": { "Hosts": [ "mail.test" ], "ClusterId": "ex" } }, "Clusters": { "ex": { "Destinations": "127.0.0.1:9" } } } }""", "Gateway:Passthrough:Clusters:ex:Destinations", "'127.0.0.1:9' is a value, but Destinations is a section")]
    [InlineData("""{ "Proxy": { "Routes": { "app": { "PathRules": [ { "Paths": "/ecp", "AllowedNetworks": [ "127.0.0.1" ] } ] } } } }""", "Gateway:Proxy:Routes:app:PathRules:0:Paths", "'/ecp' is a value, but Paths is a list")]
    [InlineData("""{ "Proxy": { "Redirects": { "old": { "Hosts": "old.test", "To": "https://app.test" } } } }""", "Gateway:Proxy:Redirects:old:Hosts", "'old.test' is a value, but Hosts is a list")]
    public async Task A_value_or_section_in_the_wrong_place_is_one_error_with_its_path(string gateway, string path, string message)
    {
        var errors = await CheckAsync($$"""{ "Gateway": {{gateway}}, {{ReverseProxy}} }""");

        var error = Assert.Single(errors, e => e.StartsWith(path + ":", StringComparison.Ordinal));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_whole_gateway_section_as_a_value_is_refused()
    {
        var errors = await CheckAsync($$"""{ "Gateway": "x", {{ReverseProxy}} }""");

        var error = Assert.Single(errors);
        Assert.StartsWith("Gateway: 'x' is a value, but Gateway is a section: write { ... } with the keys ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "Gateway": null }""", "Gateway")]
    [InlineData("""{ "Gateway": { "Listeners": null } }""", "Gateway:Listeners")]
    [InlineData("""{ "Gateway": { "Limits": { "Http": null } } }""", "Gateway:Limits:Http")]
    [InlineData("""{ "Gateway": { "ShutdownTimeout": null } }""", "Gateway:ShutdownTimeout")]
    public async Task A_null_in_the_gateway_section_is_refused(string json, string path)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-shape-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, json);
        using var output = new StringWriter();

        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);

        Assert.Equal(2, exitCode);
        Assert.Contains($"null is not a setting: leave {path} out for its default", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_line_override_with_a_value_where_a_list_belongs_is_refused()
    {
        var errors = await CheckAsync($$"""{ "Gateway": { "Listeners": { "Https": "127.0.0.1:0" } }, {{ReverseProxy}} }""", "--Gateway:Proxy:Routes:app:Access=deny all");

        var error = Assert.Single(errors);
        Assert.Equal("Gateway:Proxy:Routes:app:Access: 'deny all' is a value, but Access is a list: write [ \"deny all\" ] (set on the command line)", error);
    }

    [Fact]
    public async Task A_command_line_override_with_a_value_where_a_section_belongs_is_refused()
    {
        var errors = await CheckAsync($$"""{ "Gateway": { "Listeners": { "Https": "127.0.0.1:0" } }, {{ReverseProxy}} }""", "--Gateway:Listeners=127.0.0.1:22450");

        var error = Assert.Single(errors);
        Assert.StartsWith("Gateway:Listeners: '127.0.0.1:22450' is a value, but Listeners is a section", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_over_a_list_of_the_file_is_refused_like_the_file()
    {
        // What an environment variable Gateway__Proxy__Routes__app__Access=deny_all does: a value next to the file's list.
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes($$"""{ "Gateway": { "Listeners": { "Https": "127.0.0.1:0" }, "Proxy": { "Routes": { "app": { "Access": [ "allow 127.0.0.1" ] } } } }, {{ReverseProxy}} }""")))
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Proxy:Routes:app:Access"] = "deny_all" })
            .Build();

        var generation = ConfigUnderTest.Read(configuration, "/", out var errors);

        Assert.Null(generation);
        var error = Assert.Single(errors.All);
        Assert.Equal("Gateway:Proxy:Routes:app:Access", error.Path);
    }

    [Fact]
    public async Task Lists_and_sections_written_as_such_pass()
    {
        var errors = await CheckAsync($$"""
            { "Gateway": { "Listeners": { "Https": "127.0.0.1:0", "Http": "off", "Admin": "127.0.0.1:0" },
                           "Admin": { "AllowedNetworks": [ "127.0.0.0/8" ], "Users": { } },
                           "Proxy": { "Routes": { "app": { "Access": [ "allow 127.0.0.1", "deny all" ], "Users": { } } } } },
              {{ReverseProxy}} }
            """);

        Assert.Empty(errors);
    }

    [Fact]
    public async Task Empty_lists_pass_as_the_empty_lists_they_are()
    {
        // [] reads as an empty value, like a null: it must still mean "no entries" (closed to all, for a path rule).
        var errors = await CheckAsync($$"""
            { "Gateway": { "Listeners": { "Https": "127.0.0.1:0", "Http": "off", "Admin": "127.0.0.1:0" },
                           "Admin": { "AllowedNetworks": [ ] },
                           "ProxyProtocol": { "TrustedNetworks": [ ] },
                           "Proxy": { "Routes": { "app": { "Access": [ ], "PathRules": [ { "Paths": [ "/ecp" ], "AllowedNetworks": [ ] } ] } } } },
              {{ReverseProxy}} }
            """);

        Assert.Empty(errors);
    }

    private static async Task<List<string>> CheckAsync(string json, params string[] overrides)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-shape-").FullName, "appsettings.json");
        await File.WriteAllTextAsync(file, json);
        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file, .. overrides], output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("Gateway", StringComparison.Ordinal) || line.StartsWith("ReverseProxy", StringComparison.Ordinal)).ToList();
        Assert.Equal(lines.Count == 0 ? 0 : 2, exitCode);
        return lines;
    }
}
