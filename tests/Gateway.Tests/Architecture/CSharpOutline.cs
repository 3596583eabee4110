using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Architecture;

/// <summary>
/// What a C# file declares at namespace level: its namespaces and its top-level types. Not a parser: comments,
/// strings (regular, verbatim, interpolated, raw) and character literals are blanked first, then everything inside
/// braces other than a namespace block's is dropped, and the declarations are read from what is left.
/// </summary>
internal sealed partial class CSharpOutline
{
    private CSharpOutline(List<string> namespaces, List<(string Kind, string Name)> types)
    {
        Namespaces = namespaces;
        Types = types;
    }

    public List<string> Namespaces { get; }

    /// <summary>Top-level types in order, generic arity dropped: ("record struct", "Foo").</summary>
    public List<(string Kind, string Name)> Types { get; }

    public static CSharpOutline Read(string source)
    {
        var code = new StringBuilder(source.Length);
        var end = Code(source, 0, code, hole: false);
        if (end != source.Length)
        {
            throw new FormatException($"unbalanced '}}' at offset {end}");
        }

        var outline = Outline(code.ToString());
        var namespaces = NamespacePattern().Matches(outline).Select(match => match.Groups[1].Value).ToList();
        var types = TypePattern().Matches(outline)
            .Select(match => (Kind: WhiteSpace().Replace(match.Groups["kind"].Value.Trim(), " "), Name: match.Groups["name"].Value.TrimStart('@')))
            .ToList();
        return new CSharpOutline(namespaces, types);
    }

    /// <summary>The text outside braces, namespace blocks being transparent.</summary>
    private static string Outline(string code)
    {
        var outline = new StringBuilder();
        var blocks = new Stack<bool>();
        var statement = new StringBuilder();
        foreach (var c in code)
        {
            var visible = blocks.All(transparent => transparent);
            switch (c)
            {
                case '{':
                    var opensNamespace = visible && NamespaceHead().IsMatch(statement.ToString());
                    blocks.Push(opensNamespace);
                    if (visible)
                    {
                        outline.Append(opensNamespace ? " ; " : " {} ");
                        statement.Clear();
                    }

                    break;
                case '}':
                    if (blocks.Count == 0)
                    {
                        throw new FormatException("unbalanced '}'");
                    }

                    blocks.Pop();
                    if (blocks.All(transparent => transparent))
                    {
                        statement.Clear();
                        outline.Append(' ');
                    }

                    break;
                default:
                    if (visible)
                    {
                        outline.Append(c);
                        if (c == ';')
                        {
                            statement.Clear();
                        }
                        else
                        {
                            statement.Append(c);
                        }
                    }

                    break;
            }
        }

        if (blocks.Count != 0)
        {
            throw new FormatException("unbalanced '{'");
        }

        return outline.ToString();
    }

    /// <summary>
    /// Copies code from <paramref name="i"/>, blanking literals and comments; in an interpolation hole, stops at the
    /// '}' that closes it (or at a format specifier's ':', whose text it skips) and returns the index of that '}'.
    /// </summary>
    private static int Code(string s, int i, StringBuilder o, bool hole)
    {
        var depth = 0;
        var lineStart = true;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '\n')
            {
                lineStart = true;
                o.Append(c);
                i++;
                continue;
            }

            if (lineStart && c == '#')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (!char.IsWhiteSpace(c))
            {
                lineStart = false;
            }

            if (c == '/' && At(s, i + 1) == '/')
            {
                while (i < s.Length && s[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c == '/' && At(s, i + 1) == '*')
            {
                var close = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = close < 0 ? s.Length : close + 2;
                o.Append(' ');
                continue;
            }

            if (c == '\'')
            {
                i++;
                while (i < s.Length && s[i] != '\'')
                {
                    i += s[i] == '\\' ? 2 : 1;
                }

                i++;
                o.Append("' '");
                continue;
            }

            if (c is '"' or '$' or '@' && StringAt(s, i) is { } literal)
            {
                i = String(s, literal.Start, literal.Dollars, literal.Verbatim, literal.Quotes);
                o.Append("\"\"");
                continue;
            }

            if (hole)
            {
                if (c is '(' or '[' or '{')
                {
                    depth++;
                }
                else if (c is ')' or ']' or '}' && depth > 0)
                {
                    depth--;
                }
                else if (c == '}')
                {
                    return i;
                }
                else if (c == ':' && depth == 0)
                {
                    // A format specifier: literal text up to the hole's end.
                    while (i < s.Length && s[i] != '}')
                    {
                        i++;
                    }

                    return i;
                }
            }

            o.Append(c);
            i++;
        }

        return i;
    }

    private static char At(string s, int i) => i < s.Length ? s[i] : '\0';

    /// <summary>A string literal's prefix at <paramref name="i"/>: how many '$', whether '@', how many '"', where they start.</summary>
    private static (int Dollars, bool Verbatim, int Quotes, int Start)? StringAt(string s, int i)
    {
        if (i > 0 && (char.IsLetterOrDigit(s[i - 1]) || s[i - 1] == '_'))
        {
            return null;
        }

        var dollars = 0;
        var verbatim = false;
        for (; i < s.Length; i++)
        {
            if (s[i] == '$')
            {
                dollars++;
            }
            else if (s[i] == '@' && !verbatim)
            {
                verbatim = true;
            }
            else
            {
                break;
            }
        }

        if (At(s, i) != '"')
        {
            return null;
        }

        var quotes = 0;
        while (At(s, i + quotes) == '"')
        {
            quotes++;
        }

        return (dollars, verbatim, quotes, i);
    }

    /// <summary>Skips a string literal whose quotes start at <paramref name="i"/>; returns the index after it.</summary>
    private static int String(string s, int i, int dollars, bool verbatim, int quotes)
    {
        if (quotes == 2)
        {
            return i + 2;
        }

        if (quotes >= 3)
        {
            // Raw: ends at the first run of as many quotes (holes holding such a run are not supported).
            var close = s.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException("unterminated raw string");
            }

            return close + quotes;
        }

        i++;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '\\' && !verbatim)
            {
                i += 2;
            }
            else if (c == '"')
            {
                if (verbatim && At(s, i + 1) == '"')
                {
                    i += 2;
                }
                else
                {
                    return i + 1;
                }
            }
            else if (c == '{' && dollars > 0)
            {
                if (At(s, i + 1) == '{')
                {
                    i += 2;
                }
                else
                {
                    i = Code(s, i + 1, new StringBuilder(), hole: true) + 1;
                }
            }
            else
            {
                i++;
            }
        }

        throw new FormatException("unterminated string");
    }

    [GeneratedRegex(@"\bnamespace\s+([\w.]+)")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"\bnamespace\s+[\w.]+\s*$")]
    private static partial Regex NamespaceHead();

    [GeneratedRegex(@"\b(?:(?<kind>record\s+(?:class\s+|struct\s+)?|class\s+|struct\s+|interface\s+|enum\s+)(?!where\b)(?<name>@?\w+)|(?<kind>delegate)\s[^;]*?(?<![\w@])(?<name>@?\w+)\s*(?:<[^>]*>\s*)?\()")]
    private static partial Regex TypePattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();
}
