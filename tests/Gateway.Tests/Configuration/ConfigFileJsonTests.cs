using System.Text;
using Gateway.Configuration;
using Gateway.Reload;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Configuration;

public sealed class ConfigFileJsonTests
{
    private const string File = "/etc/gateway/appsettings.json";

    [Fact]
    public void A_syntax_error_has_the_line_and_column_an_editor_shows_and_the_enclosing_key()
    {
        // The comma after the HealthCheck object (line 29) is missing: the error is the next name, line 30, column 11.
        var lines = ExampleLines();
        Assert.Equal("          },", lines[28]);
        Assert.StartsWith(new string(' ', 10) + "\"ConnectTimeout\"", lines[29], StringComparison.Ordinal);
        lines[28] = "          }";

        var error = Assert.Single(Check(string.Join('\n', lines)));

        Assert.Equal($"{File}:30:11", error.Path);
        Assert.Equal("not valid JSON: '\"' is invalid after a value. Expected either ',', '}', or ']' (in Gateway:Passthrough:Clusters:exchange)", error.Message);
    }

    [Theory]
    [InlineData("{\n  \"Gateway\": {\n    \"ClientHello\": { \"MaxBytes\": tru }\n  }\n}", "3:34", "'tru' is not a JSON value. Expected the literal 'true'", "Gateway:ClientHello:MaxBytes")]
    [InlineData("{ \"Gateway\": { \"Listeners\": { \"Https\": } } }", "1:40", "'}' is an invalid start of a value", "Gateway:Listeners:Https")]
    [InlineData("{ \"Gateway\": { \"Passthrough\": { \"Routes\": { \"r\": { \"Hosts\": [ \"a.test\", \"b.test\" \"c.test\" ] } } } } }", "1:82", "'\"' is invalid after a value", "Gateway:Passthrough:Routes:r:Hosts")]
    [InlineData("{ \"Gateway\": { \"Passthrough\": { \"Routes\": { \"r\": { \"Hosts\": [ \"a.test\", { \"x\": nope } ] } } } } }", "1:80", "'nope' is not a JSON value. Expected the literal 'null'", "Gateway:Passthrough:Routes:r:Hosts:1:x")]
    [InlineData("{ \"Gateway\": { \"Listeners\": { \"Https\": \"127.0.0.1:443\n\" } } }", "1:54", "'0x0A' is invalid within a JSON string", "Gateway:Listeners:Https")]
    [InlineData("{ \"Gateway\": { 'Listeners': { } } }", "1:16", "''' is an invalid start of a property name", "Gateway")]
    [InlineData("{ \"Gateway\": { \"Listeners\": { } } } { }", "1:37", "'{' is invalid after a single JSON value. Expected end of data", "")]
    [InlineData("{ \"Gateway\": { \"ClientHello\": { \"MaxBytes\": 0x4000 } } }", "1:46", "'x' is an invalid end of a number. Expected a delimiter", "Gateway:ClientHello:MaxBytes")]
    [InlineData("\t{ \"a\":\t\t! }", "1:10", "'!' is an invalid start of a value", "a")]
    public void Syntax_errors_name_the_position_and_the_key(string json, string position, string message, string key)
    {
        var error = Assert.Single(Check(json));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.StartsWith("not valid JSON: " + message, error.Message, StringComparison.Ordinal);
        Assert.EndsWith(key.Length > 0 ? $" (in {key})" : message.TrimEnd('.'), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void The_column_counts_characters_not_bytes()
    {
        // Two 2-byte letters and a 4-byte emoji before the error: 3 columns, 8 bytes.
        var error = Assert.Single(Check("{ \"ä\": \"ö😀\" x }"));

        Assert.Equal($"{File}:1:13", error.Path);
    }

    [Fact]
    public void Crlf_line_ends_count_as_one_line_each()
    {
        var error = Assert.Single(Check("{\r\n  \"a\": 1\r\n  \"b\": 2\r\n}"));

        Assert.Equal($"{File}:3:3", error.Path);
    }

    [Fact]
    public void A_file_that_ends_early_names_the_object_left_open()
    {
        var error = Assert.Single(Check("{\n  \"Gateway\": {\n    \"Listeners\": { \"Https\": \"127.0.0.1:443\" }\n"));

        Assert.Equal($"{File}:4:1", error.Path);
        Assert.Equal("the file ends inside the object opened at 2:14: a '}' is missing (in Gateway)", error.Message);
    }

    [Fact]
    public void A_file_that_ends_inside_an_array_names_the_array()
    {
        var error = Assert.Single(Check("{ \"Gateway\": { \"Passthrough\": { \"Routes\": { \"r\": { \"Hosts\": [ \"a.test\","));

        Assert.Equal("the file ends inside the array opened at 1:61: a ']' is missing (in Gateway:Passthrough:Routes:r:Hosts)", error.Message);
    }

    [Theory]
    [InlineData("{ \"a\": [ 1, // more later\n", "2:1", "the file ends inside the array opened at 1:8: a ']' is missing (in a)")]
    [InlineData("{ \"a\": { /* b */ }, /* c */\n\n", "3:1", "the file ends inside the object opened at 1:1: a '}' is missing")]
    [InlineData("{ \"a\": 1 } /* unclosed", "1:12", "not valid JSON: Expected end of comment, but instead reached end of data")]
    [InlineData("{ \"a\": 1, /* unclosed", "1:11", "not valid JSON: Expected end of comment, but instead reached end of data")]
    public void A_file_that_ends_early_says_what_is_left_open(string json, string position, string message)
    {
        var error = Assert.Single(Check(json));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("", "the file is empty: it must hold one JSON object")]
    [InlineData("\uFEFF", "the file is empty: it must hold one JSON object")]
    [InlineData("  \n\t\n", "the file holds no JSON, only comments or white space")]
    [InlineData("// Gateway\n/* nothing yet */\n", "the file holds no JSON, only comments or white space")]
    public void An_empty_file_is_refused_with_one_line(string content, string message)
    {
        var error = Assert.Single(Check(content));

        Assert.Equal(File, error.Path);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Gateway:\n  Listeners:\n    Https: 127.0.0.1:8443\n", "1:1", "Gateway:")]
    [InlineData("# the gateway\nGateway:\n", "1:1", "# the gateway")]
    [InlineData("// JSON after all?\n  Gateway = { Http = off }\n", "2:3", "Gateway = { Http = off }")]
    [InlineData("<configuration><Gateway/></configuration>", "1:1", "<configuration><Gateway/></configuration...")]
    public void Another_format_is_named_by_what_the_file_starts_with(string content, string position, string start)
    {
        var error = Assert.Single(Check(content));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.Equal($"not JSON: the file starts with '{start}', where one object, {{ \"Gateway\": {{ ... }} }}, must begin (Gateway reads JSON only, not YAML or INI)", error.Message);
    }

    [Theory]
    [InlineData("[ { \"Gateway\": { } } ]", "1:1", "an array")]
    [InlineData("  \"Gateway\"", "1:3", "a string")]
    [InlineData("// settings\n42", "2:1", "a number")]
    [InlineData("null", "1:1", "null")]
    [InlineData("true", "1:1", "true or false")]
    public void A_top_level_that_is_not_an_object_is_refused(string content, string position, string found)
    {
        var error = Assert.Single(Check(content));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.Equal($"the top level must be an object, {{ \"Gateway\": {{ ... }} }}, not {found}", error.Message);
    }

    [Theory]
    [InlineData("utf-16", "UTF-16 (little-endian, with a byte order mark)")]
    [InlineData("utf-16BE", "UTF-16 (big-endian, with a byte order mark)")]
    [InlineData("utf-32", "UTF-32 (little-endian, with a byte order mark)")]
    [InlineData("utf-32BE", "UTF-32 (big-endian, with a byte order mark)")]
    [InlineData("utf-16-nobom", "UTF-16 or UTF-32 (NUL bytes between the characters)")]
    [InlineData("utf-16BE-nobom", "UTF-16 or UTF-32 (NUL bytes between the characters)")]
    public void A_file_in_another_unicode_encoding_is_refused_by_name(string encoding, string named)
    {
        const string Json = "{ \"Gateway\": { \"Listeners\": { \"Https\": \"127.0.0.1:443\" } } }";
        var bytes = encoding switch
        {
            "utf-16" => [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Json)],
            "utf-16BE" => [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(Json)],
            "utf-32" => [.. Encoding.UTF32.GetPreamble(), .. Encoding.UTF32.GetBytes(Json)],
            "utf-32BE" => [.. new UTF32Encoding(bigEndian: true, byteOrderMark: true).GetPreamble(), .. new UTF32Encoding(bigEndian: true, byteOrderMark: true).GetBytes(Json)],
            "utf-16-nobom" => Encoding.Unicode.GetBytes(Json),
            _ => Encoding.BigEndianUnicode.GetBytes(Json),
        };

        var error = Assert.Single(Check(bytes));

        Assert.Equal(File, error.Path);
        Assert.Equal($"the file is {named}, not UTF-8: save it as UTF-8", error.Message);
    }

    [Fact]
    public void A_latin1_file_is_refused_at_the_first_byte_that_is_not_utf8()
    {
        var bytes = Encoding.Latin1.GetBytes("{\n  \"Gateway\": {\n    \"Passthrough\": { \"Routes\": { \"r\": { \"Hosts\": [ \"café.test\" ] } } }\n  }\n}");

        var error = Assert.Single(Check(bytes));

        Assert.Equal($"{File}:3:56", error.Path);
        Assert.Equal("byte 0xE9 is not UTF-8 (the file is probably Latin-1 or Windows-1252): save it as UTF-8 (in Gateway:Passthrough:Routes:r:Hosts)", error.Message);
    }

    [Theory]
    [InlineData("{ // café\n \"Gateway\": { } }", "1:9", "")]
    [InlineData("{ \"Gateway\": { \"Listeners\": { \"Https\": \"é\" } } }", "1:41", " (in Gateway:Listeners:Https)")]
    [InlineData("{ \"Gateway\": { \"é\": 1 } }", "1:17", " (in Gateway)")]
    [InlineData("{ \"Gateway\": { \"a\": 1, é } }", "1:24", " (in Gateway)")]
    public void Latin1_anywhere_is_refused_in_comments_names_values_and_between_them(string latin1, string position, string key)
    {
        var error = Assert.Single(Check(Encoding.Latin1.GetBytes(latin1)));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.Equal("byte 0xE9 is not UTF-8 (the file is probably Latin-1 or Windows-1252): save it as UTF-8" + key, error.Message);
    }

    [Fact]
    public void A_syntax_error_before_a_latin1_byte_is_the_one_reported()
    {
        var error = Assert.Single(Check(Encoding.Latin1.GetBytes("{ \"a\": 1 \"b\": \"é\" }")));

        Assert.Equal($"{File}:1:10", error.Path);
        Assert.StartsWith("not valid JSON:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"Gateway\": { \"Listeners\": { \"Https\": \"\\ud800\" } } }", "1:40", " (in Gateway:Listeners:Https)")]
    [InlineData("{ \"Gateway\": { \"\\udc00x\": 1 } }", "1:16", " (in Gateway)")]
    public void An_unpaired_surrogate_escape_is_refused_where_the_provider_would_throw_without_a_position(string json, string position, string key)
    {
        var error = Assert.Single(Check(json));

        Assert.Equal($"{File}:{position}", error.Path);
        Assert.StartsWith("not valid JSON: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("(a \\u escape of a surrogate needs its pair)" + key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_given_twice_in_one_object_is_refused_whatever_its_case()
    {
        var errors = Check("""
            {
              "Gateway": {
                "Passthrough": {
                  "Clusters": {
                    "exchange": { "ConnectTimeout": "5s" },
                    "Exchange": { "IdleTimeout": "1h" }
                  }
                },
                "Listeners": { "Https": "127.0.0.1:443", "HTTPS": "127.0.0.1:8443" }
              }
            }
            """);

        Assert.Equal(2, errors.Count);
        Assert.Equal($"{File}:6:9", errors[0].Path);
        Assert.Equal("\"Exchange\" is already defined at 5:9 in this object (keys ignore case): the two would be merged (in Gateway:Passthrough:Clusters)", errors[0].Message);
        Assert.Equal($"{File}:9:46", errors[1].Path);
        Assert.Equal("\"HTTPS\" is already defined at 9:20 in this object (keys ignore case): the two would be merged (in Gateway:Listeners)", errors[1].Message);
    }

    [Fact]
    public void A_key_set_twice_through_a_name_with_a_colon_is_refused()
    {
        var error = Assert.Single(Check("{ \"Gateway:Listeners\": { \"Https\": \"127.0.0.1:443\" },\n  \"Gateway\": { \"Listeners\": { \"Https\": \"127.0.0.1:8443\" } } }"));

        Assert.Equal($"{File}:2:40", error.Path);
        Assert.Equal("Gateway:Listeners:Https already has a value, set at 1:35 (in Gateway:Listeners)", error.Message);
    }

    [Fact]
    public void Nesting_deeper_than_the_providers_limit_is_refused()
    {
        var json = new StringBuilder("{");
        for (var i = 0; i < 64; i++)
        {
            json.Append("\"a\":{");
        }

        var error = Assert.Single(Check(json.Append(new string('}', 65)).ToString()));

        Assert.Contains("depth of 64", error.Message, StringComparison.Ordinal);
        Assert.Equal($"{File}:1:321", error.Path);
    }

    /// <summary>Whatever the check accepts the provider reads, and the other way round, but for what the check adds on purpose.</summary>
    [Theory]
    [InlineData("{}")]
    [InlineData("\uFEFF{ \"a\": 1 }")]
    [InlineData("{ \"a\": 1, }")]
    [InlineData("{ \"a\": [ 1, 2, ], }")]
    [InlineData("{ /* c */ \"a\" /* c */ : /* c */ 1 /* c */ }")]
    [InlineData("{ \"a\": 1 } // end")]
    [InlineData("{ \"a\": 1 } /* end */")]
    [InlineData("{ \"a\": 1 } /* end")]
    [InlineData("{ \"a\": 1 } x")]
    [InlineData("{ \"a\": 1 }}")]
    [InlineData("{ \"a\": 01 }")]
    [InlineData("{ \"a\": .5 }")]
    [InlineData("{ \"a\": -0.5e+10 }")]
    [InlineData("{ \"a\": NaN }")]
    [InlineData("{ \"a\": 1,, }")]
    [InlineData("{ , }")]
    [InlineData("{ \"a\" 1 }")]
    [InlineData("{ \"a\": \"\\x\" }")]
    [InlineData("{ \"a\": \"\\u00e9\\ud83d\\ude00\" }")]
    [InlineData("{ \"a\": { \"b\": [ { }, [ ], null, true, false, \"\" ] } }")]
    [InlineData("{ \"a\": {}, \"b\": [] }")]
    [InlineData("{ \"a:b\": 1, \"a\": { \"c\": 2 } }")]
    [InlineData("# comment\n{ }")]
    public void The_check_agrees_with_the_configuration_provider(string json)
    {
        var checkAccepts = Check(json).Count == 0;
        bool providerAccepts;
        try
        {
            new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
            providerAccepts = true;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
        {
            providerAccepts = false;
        }

        Assert.Equal(providerAccepts, checkAccepts);
    }

    [Fact]
    public async Task Check_reports_a_json_error_of_the_file_given_with_config_with_exit_code_2_and_no_stack_trace()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("gateway-json-").FullName, "appsettings.json");
        await System.IO.File.WriteAllTextAsync(file, "{\n  \"Gateway\": {\n    \"Listeners\": { \"Https\": \"127.0.0.1:0\" \"Http\": \"off\" }\n  }\n}\n");
        using var output = new StringWriter();

        var exitCode = await Gateway.Hosting.GatewayApplication.CheckAsync(["--check", "--config", file], output);

        Assert.Equal(2, exitCode);
        Assert.Equal($"{file}:3:43: not valid JSON: '\"' is invalid after a value. Expected either ',', '}}', or ']' (in Gateway:Listeners)", output.ToString().Trim());
    }

    [Fact]
    public async Task A_rejected_reload_logs_the_same_line_and_column()
    {
        var logs = new CapturedLogs();
        var directory = Directory.CreateTempSubdirectory("gateway-json-reload-").FullName;
        await System.IO.File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), TestGateway.Compose(null, null));
        await using var gateway = await TestGateway.StartInAsync(directory, null, logs);

        await gateway.WriteConfigAsync(null, null, "{\n  \"Gateway\": {\n    \"ClientHello\": { \"MaxBytes\": 16384, }\n    \"Listeners\": { }\n  }\n}\n");
        Assert.False(await gateway.Services.GetRequiredService<ConfigReloader>().ReloadAsync());

        var rejected = Assert.Single(logs.Entries, e => e.Event.Name == "ConfigRejected");
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.EndsWith($"1 error(s):\n  {gateway.ConfigFile}:4:5: not valid JSON: '\"' is invalid after a value. Expected either ',', '}}', or ']' (in Gateway)", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", rejected.Message, StringComparison.Ordinal);
    }

    private static List<ConfigError> Check(string json) => Check(Encoding.UTF8.GetBytes(json));

    private static List<ConfigError> Check(byte[] bytes)
    {
        var errors = new ConfigErrors();
        var ok = ConfigFileJson.Check(File, bytes, errors);
        Assert.Equal(ok, errors.All.Count == 0);
        return [.. errors.All];
    }

    /// <summary>A config laid out as an operator writes one.</summary>
    private static List<string> ExampleLines() =>
    [
        "{",
        "  \"$schema\": \"./appsettings.schema.json\",",
        "  \"Gateway\": {",
        "    \"Listeners\": {",
        "      \"Https\": \"127.0.0.1:8443\",",
        "      \"Http\": \"127.0.0.1:8080\"",
        "    },",
        "    \"ClientHello\": { \"Timeout\": \"00:00:05\", \"MaxBytes\": 16384 },",
        "    \"Passthrough\": {",
        "      \"Routes\": {",
        "        \"exchange\": {",
        "          \"Hosts\": [",
        "            \"exchange.localhost\",",
        "            \"autodiscover.localhost\"",
        "          ],",
        "          \"ClusterId\": \"exchange\"",
        "        }",
        "      },",
        "      \"Clusters\": {",
        "        \"exchange\": {",
        "          // One Exchange server; add more for round robin.",
        "          \"Destinations\": {",
        "            \"exchange01\": { \"Address\": \"127.0.0.1:9443\" }",
        "          },",
        "          \"LoadBalancingPolicy\": \"RoundRobin\",",
        "          \"SessionAffinity\": { \"Policy\": \"SourceIp\" },",
        "          \"HealthCheck\": {",
        "            \"Active\": { \"Enabled\": true }",
        "          },",
        "          \"ConnectTimeout\": \"00:00:10\",",
        "          \"IdleTimeout\": \"01:00:00\"",
        "        }",
        "      }",
        "    }",
        "  }",
        "}",
    ];
}
