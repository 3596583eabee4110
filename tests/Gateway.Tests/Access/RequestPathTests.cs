using System.Text;
using System.Text.RegularExpressions;
using Gateway.Access;
using Gateway.Proxy;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Access;

/// <summary>
/// <see cref="RequestPath"/> against a reference model: a handful of servers' readers, each written plainly step by
/// step. A path that any reader puts under a protected prefix must be refused.
/// </summary>
public sealed class RequestPathTests
{
    private static readonly string[] Protected = ["/ecp", "/PowerShell", "/cgi-bin", "/.git", "/owa/kit"];

    // The pieces paths are made of: separators in every spelling, dot segments, params, streams, spaces, trailing
    // dots, encodings one and two levels deep, case, the letters that case-fold to ASCII, and the protected words.
    private static readonly string[] Pieces =
    [
        "/", "/", "/", "//", "\\", "%2F", "%2f", "%5C", "%5c", "%252F", "／", "＼",
        ".", "..", "...", "%2e", "%2E%2e", "%252e", "．", " ", "%20", "%2520", ". ", ".. ",
        ";", ";x", ";x=1", "%3B", "%3bx", ":", ":x", "::$DATA", ":$I30:$INDEX_ALLOCATION", "%3A", "%00", "%2500",
        "ecp", "ECP", "Ecp", "ecpx", "ecp-info", "PowerShell", "powershell", "POWERſHELL", "Power%53hell", "%u0065cp",
        "cgi-bin", "CGI-BIN", "cgi%2dbin", ".git", ".GIT", ".gitignore", "git", "owa", "OWA", "kit", "\u212Ait", "K\u0131T",
        "k\u0130t", "ｅｃｐ", "x", "a.aspx", "-", "%25", "%C0%AE", "%41",
    ];

    private static readonly string[] Words = ["ecp", "ECP", "PowerShell", "cgi-bin", ".git", "owa", "owa/kit", "ecpx"];

    [Fact]
    public void Every_path_a_reader_puts_under_a_protected_prefix_is_refused()
    {
        var random = new Random(20_240_611);
        var refusedByModel = 0;
        var overDenied = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var path = RandomPath(random);
            var read = RequestPath.Read(path);
            var refused = read.Evasive || read.IsUnder(Protected);
            var reader = Model.ReaderThatCovers(path, Protected);
            if (reader is not null)
            {
                refusedByModel++;
                Assert.True(refused, $"'{Escape(path)}' is read by {reader} as under a protected prefix, but is let through (readings: {Readings(read)})");
            }
            else if (refused)
            {
                overDenied++;
            }
        }

        // The generator must actually reach protected paths, or the property says nothing.
        Assert.True(refusedByModel > 2_000, $"only {refusedByModel} generated paths were protected");
        Assert.True(overDenied < refusedByModel, $"{overDenied} paths refused that no reader covers, against {refusedByModel} covered");
    }

    [Theory]
    [InlineData("/ecpx")]
    [InlineData("/owa/ecp-info")]
    [InlineData("/owa/ecp")]
    [InlineData("/owa/kitchen")]
    [InlineData("/PowerShellx/")]
    [InlineData("/cgi-binx/x")]
    [InlineData("/.gitignore")]
    [InlineData("/git/config")]
    [InlineData("/owa/a b.aspx")]
    [InlineData("/owa/x%20y")]
    [InlineData("/owa/50%")]
    [InlineData("/owa/50%25")]
    [InlineData("/owa/a.b.c/")]
    [InlineData("/owa/caf\u00e9")]
    [InlineData("/api/packages/@scope%2Fname")]
    [InlineData("/owa/x;y")]
    [InlineData("/")]
    [InlineData("")]
    public void Paths_no_reader_puts_under_a_protected_prefix_pass(string path)
    {
        Assert.Null(Model.ReaderThatCovers(path, Protected));
        var read = RequestPath.Read(path);
        Assert.False(read.Evasive || read.IsUnder(Protected), $"'{path}' refused (readings: {Readings(read)})");
    }

    [Theory]
    [InlineData("/ecp /x", "/ecp/x")]
    [InlineData("/PowerShell /", "/PowerShell/")]
    [InlineData("/ecp./", "/ecp/")]
    [InlineData("/ecp. . /x", "/ecp/x")]
    [InlineData("//ecp/", "/ecp/")]
    [InlineData("/\\ecp", "/ecp")]
    [InlineData("/owa//x", "/owa/x")]
    [InlineData("/ecp;x/default.aspx", "/ecp/default.aspx")]
    [InlineData("/ecp;a=1;b/x", "/ecp/x")]
    [InlineData("/ecp::$DATA/x", "/ecp/x")]
    [InlineData("/ecp:x\\y", "/ecp/y")]
    [InlineData("/.env ", "/.env")]
    [InlineData("/.env.", "/.env")]
    [InlineData("/.git;x/config", "/.git/config")]
    [InlineData("/\u017Fecret", "/secret")]
    [InlineData("/\u212Aey", "/key")]
    [InlineData("/\u0131\u0130", "/ii")]
    [InlineData("/ｅｃｐ．/x", "/ecp/x")]
    [InlineData("/owa/file.aspx", "/owa/file.aspx")]
    [InlineData("/owa/a b", "/owa/a b")]
    [InlineData("/owa/./x", "/owa/x")]
    [InlineData("", "/")]
    public void The_backends_reading_drops_what_windows_iis_and_tomcat_drop(string path, string reading)
    {
        var read = RequestPath.Read(path);

        Assert.Equal(reading, read[0]);
        Assert.Equal(1, read.Count);
        Assert.False(read.Evasive);
    }

    [Theory]
    [InlineData("/ecp%2Fdefault.aspx", "/ecp%2Fdefault.aspx", "/ecp/default.aspx")]
    [InlineData("/ecp%5cx", "/ecp%5cx", "/ecp/x")]
    [InlineData("/%65cp", "/%65cp", "/ecp")]
    [InlineData("/%u0065cp", "/%u0065cp", "/ecp")]
    [InlineData("/%C5%BFx", "/%C5%BFx", "/sx")]
    [InlineData("/ecp%2520x", "/ecp%2520x", "/ecp%20x", "/ecp x")]
    public void Each_level_of_encoding_left_in_the_path_is_one_more_reading(string path, params string[] readings)
    {
        var read = RequestPath.Read(path);

        Assert.Equal(readings, Enumerable.Range(0, read.Count).Select(i => read[i]));
        Assert.False(read.Evasive);
    }

    [Theory]
    [InlineData("/owa/..;/ecp")]
    [InlineData("/ecp/..;/owa")]
    [InlineData("/owa\\..\\ecp")]
    [InlineData("/owa%2F..%2Fecp")]
    [InlineData("/owa/.. /ecp")]
    [InlineData("/owa/.../ecp")]
    [InlineData("/owa/%2e%2e/ecp")]
    [InlineData("/owa/%252e%252e/ecp")]
    [InlineData("/owa;x\\..\\ecp")]
    [InlineData("/owa/..::$DATA/ecp")]
    [InlineData("/owa/．．/ecp")]
    [InlineData("/x/../ecp")]
    public void A_dot_dot_that_survived_kestrel_climbs(string path) =>
        Assert.True(RequestPath.Read(path).Climbs);

    [Theory]
    [InlineData("/ecp;a\\b/x")]
    [InlineData("/x:;\\ecp")]
    [InlineData("/owa／ecp")]
    [InlineData("/owa＼ecp")]
    [InlineData("/owa/x%253B%255Cecp")]
    public void Separators_readers_disagree_on_are_ambiguous(string path) =>
        Assert.True(RequestPath.Read(path).Ambiguous);

    [Fact]
    public void Encoding_nested_deeper_than_any_reader_decodes_is_too_deep()
    {
        Assert.False(RequestPath.Read("/ecp%252541").TooDeep);
        Assert.True(RequestPath.Read("/ecp%25252541").TooDeep);
    }

    [Theory]
    [InlineData("/owa/a")]
    [InlineData("/owa/Default-1_x.aspx")]
    [InlineData("/.well-known/acme-challenge/abc")]
    [InlineData("/a.b/c")]
    public void A_plain_path_is_its_own_reading_without_a_copy(string path) =>
        Assert.Same(path, RequestPath.Read(path)[0]);

    [Fact]
    public void Reading_a_plain_path_allocates_nothing()
    {
        const string path = "/owa/service.svc/Default-1_x.aspx";
        RequestPath.Read(path).IsUnder(Protected);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Assert.False(RequestPath.Read(path).IsUnder(Protected));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>The fast path (a plain path is returned as it is) agrees with the full reading on every such path.</summary>
    [Fact]
    public void The_fast_path_agrees_with_the_slow_one()
    {
        var random = new Random(7);
        const string alphabet = "/-.~_aZ09";
        for (var n = 0; n < 20_000; n++)
        {
            var path = "/" + new string(Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var read = RequestPath.Read(path);

            // A ';' forces the full reading of the same path, and reads as nothing at its end.
            var slow = RequestPath.Read(path + ";");
            Assert.Equal(slow[0].TrimEnd('/'), read[0].TrimEnd('/'));
            Assert.Equal(slow.Climbs, read.Climbs);
        }
    }

    [Theory]
    [InlineData("//cgi-bin/x", "scanner-paths")]
    [InlineData("/cgi-bin;/x", "scanner-paths")]
    [InlineData("/\\cgi-bin/x", "scanner-paths")]
    [InlineData("/CGI-BIN/x", "scanner-paths")]
    [InlineData("/cgi-bin::$DATA/x", "scanner-paths")]
    [InlineData("/cgi-bin%2Fx", "scanner-paths")]
    [InlineData("/.git;x/config", "hidden-files")]
    [InlineData("/.env ", "hidden-files")]
    [InlineData("/.env.", "hidden-files")]
    [InlineData("/.\u017Fsh/id_rsa", "hidden-files")]
    [InlineData("/x/..\\y", "path-traversal")]
    [InlineData("/x/..;/y", "path-traversal")]
    [InlineData("/x%2F..%2Fy", "path-traversal")]
    [InlineData("/x%2525252541", "path-evasion")]
    [InlineData("/x:;\\cgi-bin", "path-evasion")]
    [InlineData("/x／cgi-bin", "path-evasion")]
    [InlineData("/owa/x.aspx", null)]
    [InlineData("/cgi-binx", null)]
    [InlineData("/.gitignore", null)]
    public void Exploit_rules_on_the_path_see_every_reading(string path, string? rule)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = path;

        Assert.Equal(rule, ExploitRules.Match(context.Request));
    }

    private static string RandomPath(Random random)
    {
        var path = new StringBuilder();
        for (var count = random.Next(1, 8); count > 0; count--)
        {
            path.Append(Pieces[random.Next(Pieces.Length)]);
        }

        // Most paths start at a separator (Kestrel's always do); some start with a protected word right away.
        return (random.Next(3) == 0 ? "/" + Words[random.Next(Words.Length)] : "") + (path[0] == '/' ? "" : "/") + path;
    }

    private static string Readings(RequestPath read) =>
        string.Join(", ", Enumerable.Range(0, read.Count).Select(i => $"'{Escape(read[i])}'")) + (read.Climbs ? " climbs" : "") + (read.TooDeep ? " too deep" : "");

    private static string Escape(string value) =>
        string.Concat(value.Select(c => c is >= ' ' and < '\u007F' ? c.ToString() : $"\\u{(int)c:X4}"));

    /// <summary>
    /// The reference readers. Each takes the path as the backend receives it (Kestrel's decoded path), decodes it
    /// 0 to 3 more times, and reads it one server's way; <see cref="ReaderThatCovers"/> names the first reader that
    /// puts it under a prefix. Deliberately plain: string splits and loops, no shared code with production.
    /// </summary>
    private static class Model
    {
        private static readonly (string Name, Func<string, List<string>> Read)[] Readers =
        [
            ("IIS (http.sys resolves, then Windows trims)", p => Iis(p, trimFirst: false)),
            ("Windows (trims, then resolves)", p => Iis(p, trimFirst: true)),
            ("IIS after best-fit mapping", p => Iis(BestFit(p), trimFirst: false)),
            ("Tomcat", Tomcat),
            ("RFC 3986 (Linux, nginx merge_slashes off)", Rfc),
        ];

        public static string? ReaderThatCovers(string path, string[] prefixes)
        {
            var level = path;
            for (var decodes = 0; decodes <= 3; decodes++)
            {
                foreach (var (name, read) in Readers)
                {
                    var segments = read(level);
                    if (prefixes.Any(prefix => Covers(prefix, segments)))
                    {
                        return $"{name} after {decodes} more decodes";
                    }
                }

                level = Decode(level);
            }

            return null;
        }

        private static bool Covers(string prefix, List<string> segments)
        {
            var wanted = prefix.Split('/', StringSplitOptions.RemoveEmptyEntries);
            return wanted.Length <= segments.Count && wanted.Select((w, i) => SameIgnoringCase(w, segments[i])).All(same => same);
        }

        // Java's String.equalsIgnoreCase: equal if the uppercase or the lowercase forms are. The mappings to ASCII
        // are spelled out (NTFS's upcase table: long s to S, dotless i to I; lowercase: Kelvin to k, dotted I to i):
        // the gateway runs with invariant globalization, whose casing need not have them.
        private static bool SameIgnoringCase(string a, string b) =>
            a.Length == b.Length && a.Zip(b).All(pair => Upper(pair.First) == Upper(pair.Second) || Lower(pair.First) == Lower(pair.Second));

        private static char Upper(char c) => c switch
        {
            '\u0131' => 'I',
            '\u017F' => 'S',
            _ => char.ToUpperInvariant(c),
        };

        private static char Lower(char c) => c switch
        {
            '\u212A' => 'k',
            '\u0130' => 'i',
            _ => char.ToLowerInvariant(c),
        };

        private static List<string> Iis(string path, bool trimFirst)
        {
            var segments = Resolve(path.Replace('\\', '/').Split('/').Select(raw => trimFirst ? Windows(raw) : raw));
            return trimFirst ? segments : segments.Select(Windows).Where(s => s.Length > 0).ToList();
        }

        // "" and "." segments go, ".." takes the one before it away.
        private static List<string> Resolve(IEnumerable<string> raw)
        {
            var segments = new List<string>();
            foreach (var segment in raw)
            {
                if (segment == "..")
                {
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }
                }
                else if (segment is not ("" or "."))
                {
                    segments.Add(segment);
                }
            }

            return segments;
        }

        // A Win32 name: the stream part after ':' and anything after a NUL is not the name; trailing dots and spaces go.
        private static string Windows(string segment)
        {
            var name = segment.Split(':')[0].Split('\0')[0];
            return name is "." or ".." ? name : name.TrimEnd('.', ' ');
        }

        private static string BestFit(string path) =>
            string.Concat(path.Select(c => c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c));

        private static List<string> Tomcat(string path) => Resolve(path.Split('/').Select(raw => raw.Split(';')[0]));

        private static List<string> Rfc(string path)
        {
            var segments = new List<string>();
            var parts = path.Split('/');
            for (var i = 1; i < parts.Length; i++)
            {
                if (parts[i] == ".")
                {
                    continue;
                }

                if (parts[i] == "..")
                {
                    if (segments.Count > 0)
                    {
                        segments.RemoveAt(segments.Count - 1);
                    }

                    continue;
                }

                segments.Add(parts[i]);
            }

            return segments;
        }

        private static string Decode(string path)
        {
            var unicode = Regex.Replace(path, "%[uU]([0-9A-Fa-f]{4})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
            return Uri.UnescapeDataString(unicode);
        }
    }
}
