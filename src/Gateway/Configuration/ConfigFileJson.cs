using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;

namespace Gateway.Configuration;

/// <summary>
/// Checks the config file's bytes before the JSON configuration provider reads them, and says what is wrong where an
/// editor shows it: <c>FILE:LINE:COLUMN: message (in Gateway:Passthrough:Clusters:exchange)</c>, 1-based, the column
/// counted in characters. The provider itself reports a 0-based line and a byte offset, and only for syntax errors:
/// it reads a UTF-16 or Latin-1 file as something else without a word, and merges two objects of the same name.
/// </summary>
/// <remarks>
/// Accepts exactly what the provider accepts (comments, trailing commas, nesting up to 64), plus: UTF-8 only (a UTF-8
/// byte order mark is fine), and no name twice in one object, compared as configuration keys are, ignoring case.
/// </remarks>
internal static partial class ConfigFileJson
{
    /// <summary>The provider's default (JsonDocumentOptions.MaxDepth 0 means 64).</summary>
    private const int MaxDepth = 64;

    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = MaxDepth,
    };

    /// <summary>Adds every problem found to <paramref name="errors"/>; true when the bytes are a JSON object the provider will read as written.</summary>
    public static bool Check(string file, ReadOnlySpan<byte> content, ConfigErrors errors)
    {
        if (OtherEncoding(content) is { } encoding)
        {
            errors.Add(file, $"the file is {encoding}, not UTF-8: save it as UTF-8");
            return false;
        }

        if (content.StartsWith(Utf8Bom))
        {
            content = content[Utf8Bom.Length..];
        }

        if (content.IsEmpty)
        {
            errors.Add(file, "the file is empty: it must hold one JSON object, { \"Gateway\": { ... } }");
            return false;
        }

        var text = new Text(file, content);
        var invalidUtf8 = Utf8.IsValid(content) ? -1 : FirstInvalidUtf8(content);
        return new Walker(text, invalidUtf8, errors).Run();
    }

    [GeneratedRegex(@"is an invalid JSON literal\. Expected the literal '(\w+)'$", RegexOptions.Singleline)]
    private static partial Regex Literal();

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>A byte order mark of another encoding, or the NUL bytes that UTF-16 puts in front of or after ASCII.</summary>
    private static string? OtherEncoding(ReadOnlySpan<byte> content) => content switch
    {
        [0xFF, 0xFE, 0, 0, ..] => "UTF-32 (little-endian, with a byte order mark)",
        [0, 0, 0xFE, 0xFF, ..] => "UTF-32 (big-endian, with a byte order mark)",
        [0xFF, 0xFE, ..] => "UTF-16 (little-endian, with a byte order mark)",
        [0xFE, 0xFF, ..] => "UTF-16 (big-endian, with a byte order mark)",
        [0, ..] or [_, 0, ..] => "UTF-16 or UTF-32 (NUL bytes between the characters)",
        _ => null,
    };

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> content)
    {
        for (var offset = 0; offset < content.Length;)
        {
            if (Rune.DecodeFromUtf8(content[offset..], out _, out var consumed) != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    /// <summary>The file's bytes with a map from offsets to the line and column an editor shows.</summary>
    private sealed class Text
    {
        private readonly byte[] _bytes;
        private readonly List<int> _lineStarts = [0];

        public Text(string file, ReadOnlySpan<byte> content)
        {
            File = file;
            _bytes = content.ToArray();
            for (var i = content.IndexOf((byte)'\n'); i >= 0; i = NextNewline(content, i + 1))
            {
                _lineStarts.Add(i + 1);
            }
        }

        public string File { get; }

        public ReadOnlySpan<byte> Bytes => _bytes;

        /// <summary>The offset of a position given as the reader gives it: 0-based line, bytes into that line.</summary>
        public int Offset(long line, long bytePositionInLine) =>
            (int)Math.Min(_bytes.Length, _lineStarts[(int)Math.Min(line, _lineStarts.Count - 1)] + bytePositionInLine);

        /// <summary>"LINE:COLUMN", both 1-based, the column in characters (a tab is one, as are the bytes of an invalid sequence).</summary>
        public string Position(int offset)
        {
            var index = _lineStarts.BinarySearch(offset);
            var line = index >= 0 ? index : ~index - 1;
            var column = 1;
            foreach (var b in Bytes[_lineStarts[line]..offset])
            {
                // Continuation bytes (10xxxxxx) belong to the character before them.
                column += (b & 0xC0) == 0x80 ? 0 : 1;
            }

            return $"{line + 1}:{column}";
        }

        private static int NextNewline(ReadOnlySpan<byte> content, int from)
        {
            var next = content[from..].IndexOf((byte)'\n');
            return next < 0 ? -1 : from + next;
        }
    }

    /// <summary>One pass of the reader, keeping the configuration path of where it is.</summary>
    private sealed class Walker(Text text, int invalidUtf8, ConfigErrors errors)
    {
        /// <summary>Open objects and arrays, innermost last.</summary>
        private readonly List<Container> _open = [];

        /// <summary>Every value's full key, as the provider flattens them: it refuses a key set twice.</summary>
        private readonly Dictionary<string, int> _leaves = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>The property whose value is being read, if any.</summary>
        private string? _property;

        /// <summary>Full keys of names defined twice: what is under them is reported once, there.</summary>
        private readonly List<string> _duplicated = [];

        private bool _started;

        private bool _ok = true;

        public bool Run()
        {
            var reader = new Utf8JsonReader(text.Bytes, Options);
            try
            {
                while (reader.Read())
                {
                    if (invalidUtf8 >= 0 && reader.BytesConsumed > invalidUtf8)
                    {
                        break;
                    }

                    if (!_started)
                    {
                        _started = true;
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            // The provider refuses anything but an object at the top.
                            Add((int)reader.TokenStartIndex, $"the top level must be an object, {{ \"Gateway\": {{ ... }} }}, not {Describe(reader.TokenType)}");
                            return false;
                        }
                    }

                    if (!Step(ref reader))
                    {
                        return false;
                    }
                }
            }
            catch (JsonException e)
            {
                var offset = text.Offset(e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
                if (invalidUtf8 < 0 || offset < invalidUtf8)
                {
                    Syntax(e, offset, (int)reader.BytesConsumed);
                    return false;
                }
            }

            if (invalidUtf8 >= 0)
            {
                Add(invalidUtf8, $"byte 0x{text.Bytes[invalidUtf8]:X2} is not UTF-8 (the file is probably Latin-1 or Windows-1252): save it as UTF-8");
                return false;
            }

            return _ok;
        }

        /// <summary>False when the walk cannot go on.</summary>
        private bool Step(ref Utf8JsonReader reader)
        {
            var start = (int)reader.TokenStartIndex;
            string? value = null;
            if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String)
            {
                try
                {
                    value = reader.GetString()!;
                }
                catch (InvalidOperationException e)
                {
                    // The provider would stop here with an exception of no file and no line: an unpaired \uD800 escape.
                    Add(start, $"not valid JSON: {e.Message.TrimEnd('.')} (a \\u escape of a surrogate needs its pair)");
                    return false;
                }
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    _open.Add(new Container(EnterValue(), start, reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    var closed = _open[^1];
                    _open.RemoveAt(_open.Count - 1);
                    if (!closed.IsArray && closed.Names is null && closed.Path.Length > 0)
                    {
                        Leaf(closed.Path, closed.Start);
                    }

                    break;
                case JsonTokenType.PropertyName:
                    Name(value!, start);
                    break;
                default:
                    var key = EnterValue();
                    Leaf(key, start);

                    // The configuration reads null as an empty section, and an empty section as nothing written: a
                    // null where a list, section or value of Gateway belongs would be silently taken as its default.
                    if (reader.TokenType == JsonTokenType.Null && Contains("Gateway", key))
                    {
                        Add(start, $"null is not a setting: leave {key} out for its default, or write its value, list or section");
                    }

                    break;
            }

            return true;
        }

        private void Name(string name, int start)
        {
            var container = _open[^1];
            container.Names ??= new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            if (container.Names.TryGetValue(name, out var first))
            {
                Add(start, $"\"{name}\" is already defined at {text.Position(first)} in this object (keys ignore case): the two would be merged");
                _duplicated.Add(Join(container.Path, name));
            }
            else
            {
                container.Names.Add(name, start);
            }

            _property = Join(container.Path, name);
        }

        /// <summary>The key of the value that starts now: the pending property's, or the next index of the enclosing array.</summary>
        private string EnterValue()
        {
            if (_open.Count == 0)
            {
                return "";
            }

            var container = _open[^1];
            if (container.IsArray)
            {
                return Join(container.Path, (container.Count++).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var key = _property!;
            _property = null;
            return key;
        }

        private void Leaf(string key, int start)
        {
            if (!_leaves.TryAdd(key, start) && !_duplicated.Exists(d => Contains(d, key)))
            {
                Add(start, $"{key} already has a value, set at {text.Position(_leaves[key])}");
            }
        }

        /// <param name="consumed">Where the last whole token ended.</param>
        private void Syntax(JsonException e, int offset, int consumed)
        {
            if (!_started && NothingFollows(0))
            {
                _ok = false;
                errors.Add(text.File, "the file holds no JSON, only comments or white space: it must hold one object, { \"Gateway\": { ... } }");
                return;
            }

            if (!_started)
            {
                // Most often another format saved under the JSON name (a YAML or INI copy of the config): quote what
                // the file starts with rather than the reader's "invalid start of a value".
                var end = offset;
                while (end < text.Bytes.Length && text.Bytes[end] is not ((byte)'\r' or (byte)'\n'))
                {
                    end++;
                }

                var start = System.Text.Encoding.UTF8.GetString(text.Bytes[offset..end]).TrimEnd();
                start = start.Length > 40 ? start[..40] + "..." : start;
                Add(offset, $"not JSON: the file starts with '{start}', where one object, {{ \"Gateway\": {{ ... }} }}, must begin (Gateway reads JSON only, not YAML or INI)");
                return;
            }

            if (_open.Count > 0 && NothingFollows(consumed))
            {
                var innermost = _open[^1];
                Add(text.Bytes.Length, $"the file ends inside the {(innermost.IsArray ? "array" : "object")} opened at {text.Position(innermost.Start)}: a '{(innermost.IsArray ? ']' : '}')}' is missing");
                return;
            }

            // The reader's own words, without its 0-based position (given in editor terms in front of the message).
            var message = e.Message;
            var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            message = (position > 0 ? message[..position] : message).TrimEnd('.');
            if (Literal().Match(message) is { Success: true } literal)
            {
                // The reader quotes the rest of the file after a misspelt true, false or null, and points past the word.
                while (offset > 0 && char.IsAsciiLetter((char)text.Bytes[offset - 1]))
                {
                    offset--;
                }

                var end = offset;
                while (end < text.Bytes.Length && char.IsAsciiLetter((char)text.Bytes[end]))
                {
                    end++;
                }

                message = $"'{System.Text.Encoding.ASCII.GetString(text.Bytes[offset..end])}' is not a JSON value. Expected the literal '{literal.Groups[1].Value}'";
            }

            Add(offset, "not valid JSON: " + string.Join(' ', message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)));
        }

        /// <summary>Whether only white space, commas and whole comments follow <paramref name="from"/>: the file just ends.</summary>
        private bool NothingFollows(int from)
        {
            var rest = text.Bytes[from..];
            for (var i = 0; i < rest.Length; i++)
            {
                if (rest[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',')
                {
                    continue;
                }

                if (rest[i..] is [(byte)'/', (byte)'/', ..])
                {
                    var end = rest[i..].IndexOf((byte)'\n');
                    i = end < 0 ? rest.Length : i + end;
                    continue;
                }

                if (rest[i..] is [(byte)'/', (byte)'*', ..] && rest[(i + 2)..].IndexOf("*/"u8) is var close and >= 0)
                {
                    i += 2 + close + 1;
                    continue;
                }

                return false;
            }

            return true;
        }

        private void Add(int offset, string message)
        {
            _ok = false;
            var context = _property ?? (_open.Count > 0 ? _open[^1].Path : "");
            errors.Add($"{text.File}:{text.Position(offset)}", context.Length > 0 ? $"{message} (in {context})" : message);
        }

        /// <summary>Whether <paramref name="key"/> is <paramref name="path"/> or under it.</summary>
        private static bool Contains(string path, string key) =>
            key.StartsWith(path, StringComparison.OrdinalIgnoreCase) && (key.Length == path.Length || key[path.Length] == ':');

        private static string Join(string path, string key) => path.Length == 0 ? key : path + ":" + key;

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "true or false",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };
    }

    private sealed class Container(string path, int start, bool isArray)
    {
        public string Path { get; } = path;

        public int Start { get; } = start;

        public bool IsArray { get; } = isArray;

        /// <summary>The names seen so far in an object, and where.</summary>
        public Dictionary<string, int>? Names { get; set; }

        /// <summary>The elements seen so far in an array.</summary>
        public int Count { get; set; }
    }
}
