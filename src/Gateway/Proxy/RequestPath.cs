using System.Buffers;
using System.Globalization;
using System.Text;

namespace Gateway.Proxy;

/// <summary>
/// A request path as the servers behind the gateway may read it, for every decision taken on a path (path rules,
/// exploit rules): a rule that compares the spelling the client chose instead is one trailing space away from a
/// bypass. Kestrel hands over the path percent-decoded except "%2F", with "." and ".." segments resolved; YARP
/// re-encodes it, so the backend reads exactly that string (a "%" in it arrived as "%25"). On that string each
/// reading:
/// <list type="bullet">
/// <item>"/" separates segments; ";params" run to the next "/" (Tomcat, Jetty: "..;" is "..", "/x;a\b/" is "/x/");</item>
/// <item>"\" also separates (IIS, Windows), and so do the fullwidth "／" and "＼" (Windows' best-fit mapping);</item>
/// <item>":" ends the name part of a segment (an NTFS stream: "ecp::$DATA", "ecp:x"), so does NUL (Win32);</item>
/// <item>trailing dots and spaces of a segment are dropped (Windows: "ecp. " is "ecp"), empty segments collapse;</item>
/// <item>fullwidth ASCII (U+FF01-FF5E) is read as ASCII (best fit), and the non-ASCII letters whose simple case
/// mapping is ASCII are read as that letter: U+017F LONG S and U+0131 DOTLESS I (NTFS's upcase table gives "S",
/// "I"), U+212A KELVIN SIGN and U+0130 I WITH DOT (lowercase to "k", "i"; Java's equalsIgnoreCase matches them).
/// .NET's OrdinalIgnoreCase never equates a non-ASCII character with an ASCII one, so a comparison alone would
/// miss "/ſecret" for "/secret" on Windows; folding them costs nothing to a path that has none. Everything else is
/// compared OrdinalIgnoreCase.</item>
/// </list>
/// Each level of percent-encoding left in the path gives one more reading (a backend or application that decodes
/// again - IIS does not by default, many frameworks do), up to <see cref="MaxDecodes"/>; "%uXXXX" (IIS) and overlong
/// UTF-8 ("%C0%AE", old IIS) decode too. A decision refuses if any reading is covered, so it errs on the side of a
/// denial: folding and cutting only ever remove or split what a narrower reader keeps as one unusual name, which
/// no configured prefix can equal. Two things no single reading can settle are reported instead:
/// <see cref="Climbs"/>, a ".." left in any reading (Kestrel already resolved the plain ones, so it was smuggled:
/// "..;", "..\", "..%2F", ".. ", double encoding; where it lands depends on the reader), and
/// <see cref="TooDeep"/>, encoding nested deeper than any reader decodes.
/// </summary>
internal readonly struct RequestPath
{
    /// <summary>Percent-decodings tried beyond the backend's own reading (a client's "%2525252e" is three).</summary>
    public const int MaxDecodes = 3;

    // A path made only of these, starting with '/', without "//" and with no segment ending in '.', reads as itself
    // in every reading: nothing to decode, fold, cut, trim, collapse or resolve (a dot-only segment ends in '.').
    private static readonly SearchValues<char> Plain = SearchValues.Create("/-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");

    private readonly string _first;
    private readonly string? _second;
    private readonly string? _third;
    private readonly string? _fourth;

    private RequestPath(string first, string? second, string? third, string? fourth, int count, bool climbs, bool ambiguous, bool tooDeep)
    {
        Ambiguous = ambiguous;
        _first = first;
        _second = second;
        _third = third;
        _fourth = fourth;
        Count = count;
        Climbs = climbs;
        TooDeep = tooDeep;
    }

    /// <summary>How many distinct readings the path has: 1 unless encoding is left in it.</summary>
    public int Count { get; }

    /// <summary>Some reading still has a ".." segment (or a segment of dots and spaces with two or more dots).</summary>
    public bool Climbs { get; }

    /// <summary>Percent-encoding is left after <see cref="MaxDecodes"/> further decodings.</summary>
    public bool TooDeep { get; }

    /// <summary>
    /// A separator that readers disagree on: a "\" inside ";params" (Tomcat cuts it away whole, IIS splits there and
    /// may drop what came before as a stream name: "/x:;\ecp" is "/x" to one and "/ecp" to the other), or a
    /// fullwidth "／" or "＼" (a separator only where best-fit mapping turns it into one). No client has a reason to
    /// send either.
    /// </summary>
    public bool Ambiguous { get; }

    /// <summary>A path no rule can read safely: it must be refused wherever a rule would refuse.</summary>
    public bool Evasive => Climbs || TooDeep || Ambiguous;

    /// <summary>Reading <paramref name="index"/>: 0 is how the backend reads the path, each next one decodes once more.</summary>
    public string this[int index] => index switch
    {
        0 => _first,
        1 when Count > 1 => _second!,
        2 when Count > 2 => _third!,
        3 when Count > 3 => _fourth!,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Reads <paramref name="path"/>, Kestrel's decoded path (PathBase + Path).</summary>
    public static RequestPath Read(string path)
    {
        if (IsPlain(path))
        {
            return new RequestPath(path, null, null, null, 1, climbs: false, ambiguous: false, tooDeep: false);
        }

        var readings = new string[MaxDecodes + 1];
        var count = 0;
        var climbs = false;
        var ambiguous = false;
        var level = path;
        for (var decodes = 0; ; decodes++)
        {
            climbs |= HasDotDot(level);
            ambiguous |= IsAmbiguous(level);
            var reading = Canonical(level);
            if (Array.IndexOf(readings, reading, 0, count) < 0)
            {
                readings[count++] = reading;
            }

            if (!HasEscape(level))
            {
                return new RequestPath(readings[0], readings[1], readings[2], readings[3], count, climbs, ambiguous, tooDeep: false);
            }

            if (decodes == MaxDecodes)
            {
                return new RequestPath(readings[0], readings[1], readings[2], readings[3], count, climbs, ambiguous, tooDeep: true);
            }

            level = Decode(level);
        }
    }

    /// <summary>"/ecp" covers "/ecp", "/ECP/", "/ecp/x" - not "/ecpx"; "/" covers everything.</summary>
    public static bool Covers(string prefix, string path) =>
        prefix == "/"
        || (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] == '/'));

    /// <summary>Some reading of the path lies under one of <paramref name="prefixes"/>.</summary>
    public bool IsUnder(IReadOnlyList<string> prefixes)
    {
        // Indexed: a foreach over the interface would allocate an enumerator on every request.
        for (var i = 0; i < Count; i++)
        {
            for (var p = 0; p < prefixes.Count; p++)
            {
                if (Covers(prefixes[p], this[i]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsPlain(string path)
    {
        if (path.Length == 0 || path[0] != '/' || path.AsSpan().ContainsAnyExcept(Plain) || path.Contains("//", StringComparison.Ordinal))
        {
            return false;
        }

        var dot = path.IndexOf('.', StringComparison.Ordinal);
        while (dot >= 0)
        {
            if (dot == path.Length - 1 || path[dot + 1] is '/' or '.')
            {
                return false;
            }

            dot = path.IndexOf('.', dot + 1);
        }

        return true;
    }

    /// <summary>One reading of an already decoded string; see the type's summary for the rules.</summary>
    private static string Canonical(string path)
    {
        // Each piece writes its '/' before it is known to be empty; a trailing '/' is added at the end.
        var rented = ArrayPool<char>.Shared.Rent((2 * path.Length) + 2);
        var starts = ArrayPool<int>.Shared.Rent(path.Length + 2);
        try
        {
            var output = rented.AsSpan();
            var length = 0;
            var depth = 0;
            var i = 0;
            while (i <= path.Length)
            {
                // One '/'-segment: its ";params" are cut away whole, separators inside them included.
                var end = path.IndexOf('/', i);
                if (end < 0)
                {
                    end = path.Length;
                }

                var semicolon = path.IndexOf(';', i, end - i);
                var nameEnd = semicolon < 0 ? end : semicolon;

                // Its pieces between "\" (and the fullwidth slashes), each cut at ':' or NUL, trimmed and resolved.
                var piece = i;
                while (piece <= nameEnd)
                {
                    var start = length;
                    output[length++] = '/';
                    var cut = false;
                    var j = piece;
                    for (; j < nameEnd; j++)
                    {
                        var c = Fold(path[j]);
                        if (c is '\\' or '/')
                        {
                            break;
                        }

                        if (c is ':' or '\0')
                        {
                            cut = true;
                        }

                        if (!cut)
                        {
                            output[length++] = c;
                        }
                    }

                    var name = output[(start + 1)..length];
                    if (name.ContainsAnyExcept('.', ' '))
                    {
                        length = start + 1 + name.TrimEnd(". ").Length;
                        starts[depth++] = start;
                    }
                    else
                    {
                        length = start;
                        if (name.Count('.') >= 2 && depth > 0)
                        {
                            length = starts[--depth];
                        }
                    }

                    piece = j + 1;
                }

                i = end + 1;
            }

            var last = path.Length > 0 ? Fold(path[^1]) : '\0';
            if (length > 0 && last is ('/' or '\\'))
            {
                output[length++] = '/';
            }

            if (length == 0)
            {
                return "/";
            }

            var result = output[..length];
            return result.SequenceEqual(path.AsSpan()) ? path : new string(result);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(starts);
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Any piece between separators that some reader takes for "..": cut at ';' or ':' (or not), it is dots and
    /// spaces with two dots or more. Checked apart from <see cref="Canonical"/>, which drops ";params" whole: IIS
    /// reads "/x;a\..\ecp" as "/ecp".
    /// </summary>
    private static bool HasDotDot(string path)
    {
        var dots = 0;
        var other = false;
        var cut = false;
        for (var i = 0; i <= path.Length; i++)
        {
            var c = i < path.Length ? Fold(path[i]) : '/';
            if (c is '/' or '\\')
            {
                if (dots >= 2 && !other)
                {
                    return true;
                }

                (dots, other, cut) = (0, false, false);
            }
            else if (c is ';' or ':' or '\0')
            {
                cut = true;
            }
            else if (!cut)
            {
                dots += c == '.' ? 1 : 0;
                other |= c is not ('.' or ' ');
            }
        }

        return false;
    }

    private static bool IsAmbiguous(string path)
    {
        var inParams = false;
        foreach (var c in path)
        {
            if (c is '\uFF0F' or '\uFF3C')
            {
                return true;
            }

            if (c == '/')
            {
                inParams = false;
            }
            else if (c == ';')
            {
                inParams = true;
            }
            else if (inParams && Fold(c) is '\\' or '/')
            {
                return true;
            }
        }

        return false;
    }

    private static char Fold(char c) => c switch
    {
        < '\u0080' => c,
        >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
        '\u017F' => 's',
        '\u0131' or '\u0130' => 'i',
        '\u212A' => 'k',
        _ => c,
    };

    private static bool HasEscape(string value)
    {
        for (var i = value.IndexOf('%', StringComparison.Ordinal); i >= 0; i = value.IndexOf('%', i + 1))
        {
            if (EscapeAt(value, i, out _, out _))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"%XX" (a byte, <paramref name="isByte"/>) or "%uXXXX" (a UTF-16 unit) at <paramref name="i"/>.</summary>
    private static bool EscapeAt(string value, int i, out int unit, out bool isByte)
    {
        unit = 0;
        isByte = true;
        if (i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
        {
            unit = int.Parse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return true;
        }

        if (i + 5 < value.Length && value[i + 1] is 'u' or 'U'
            && char.IsAsciiHexDigit(value[i + 2]) && char.IsAsciiHexDigit(value[i + 3]) && char.IsAsciiHexDigit(value[i + 4]) && char.IsAsciiHexDigit(value[i + 5]))
        {
            isByte = false;
            unit = int.Parse(value.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return true;
        }

        return false;
    }

    /// <summary>One percent-decoding. Bytes are UTF-8, overlong forms included (they decode to what they spell, as old IIS read them); invalid bytes become U+FFFD.</summary>
    private static string Decode(string value)
    {
        var output = new char[value.Length];
        var bytes = new byte[value.Length / 3 + 1];
        var length = 0;
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] != '%' || !EscapeAt(value, i, out var unit, out var isByte))
            {
                output[length++] = value[i++];
                continue;
            }

            if (!isByte)
            {
                output[length++] = (char)unit;
                i += 6;
                continue;
            }

            var count = 0;
            while (i < value.Length && value[i] == '%' && EscapeAt(value, i, out unit, out isByte) && isByte)
            {
                bytes[count++] = (byte)unit;
                i += 3;
            }

            length += DecodeUtf8(bytes.AsSpan(0, count), output.AsSpan(length));
        }

        return new string(output, 0, length);
    }

    private static int DecodeUtf8(ReadOnlySpan<byte> bytes, Span<char> output)
    {
        var length = 0;
        var i = 0;
        while (i < bytes.Length)
        {
            var lead = bytes[i];
            var (trail, bits) = lead switch
            {
                < 0x80 => (0, lead),
                >= 0xC0 and < 0xE0 => (1, lead & 0x1F),
                >= 0xE0 and < 0xF0 => (2, lead & 0x0F),
                >= 0xF0 and < 0xF8 => (3, lead & 0x07),
                _ => (-1, 0),
            };
            var codePoint = bits;
            var valid = trail >= 0 && i + trail < bytes.Length;
            for (var k = 1; valid && k <= trail; k++)
            {
                valid = (bytes[i + k] & 0xC0) == 0x80;
                codePoint = (codePoint << 6) | (bytes[i + k] & 0x3F);
            }

            if (!valid || codePoint > 0x10FFFF || codePoint is >= 0xD800 and <= 0xDFFF)
            {
                output[length++] = '\uFFFD';
                i++;
                continue;
            }

            length += new Rune(codePoint).EncodeToUtf16(output[length..]);
            i += trail + 1;
        }

        return length;
    }
}
