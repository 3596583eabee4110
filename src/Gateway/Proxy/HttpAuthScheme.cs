using System.Buffers;
using System.Collections.Frozen;

namespace Gateway.Proxy;

/// <summary>
/// The one reader of HTTP authentication schemes (RFC 9110 11.3-11.6), for everything that decides on them: basic
/// auth, removing the gateway's password before forwarding, and keeping connection-bound credentials off pooled
/// backend connections. Credentials are a token, then the end or at least one SP or HTAB (RFC 9110 allows only SP,
/// servers such as IIS also take a tab, so both count); schemes compare case-insensitively. Anything else is not
/// credentials, and callers refuse it rather than guess how a backend would read it.
/// </summary>
internal static class HttpAuthScheme
{
    /// <summary>
    /// Schemes whose credentials authenticate the one request that carries them, so a shared backend connection
    /// keeps no identity: Basic (RFC 7617), Bearer (RFC 6750), Digest (RFC 7616: the nonce is the server's, not the
    /// connection's), DPoP (RFC 9449: a proof per request), AWS4-HMAC-SHA256 (S3 and its clones sign each request),
    /// SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 7804: the exchange is carried by its "sid" parameter, not the connection).
    /// </summary>
    public static readonly FrozenSet<string> PerRequest = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "Basic", "Bearer", "Digest", "DPoP", "AWS4-HMAC-SHA256", "SCRAM-SHA-1", "SCRAM-SHA-256");

    /// <summary>
    /// Schemes known to bind an identity to the TCP connection (IIS, WinRM, PowerShell remoting): never per-request,
    /// whatever a config says.
    /// </summary>
    public static readonly FrozenSet<string> ConnectionBound = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "NTLM", "Negotiate", "Kerberos", "CredSSP", "Nego2", "NegoExts");

    private static readonly SearchValues<char> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> Token68Chars =
        SearchValues.Create("-._~+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>True when <paramref name="name"/> is an RFC 9110 token, as a scheme must be.</summary>
    public static bool IsToken(ReadOnlySpan<char> name) => name.Length > 0 && !name.ContainsAnyExcept(TokenChars);

    /// <summary>
    /// Reads credentials (<c>Authorization</c>, <c>Proxy-Authorization</c>): the scheme and what follows it, without
    /// the whitespace around either. False when <paramref name="value"/> is not a scheme followed by the end, SP or HTAB.
    /// </summary>
    public static bool TryReadCredentials(ReadOnlySpan<char> value, out ReadOnlySpan<char> scheme, out ReadOnlySpan<char> parameters)
    {
        value = value.Trim(" \t");
        var end = value.IndexOfAnyExcept(TokenChars);
        scheme = end < 0 ? value : value[..end];
        parameters = end < 0 ? default : value[end..];
        if (scheme.IsEmpty || (end >= 0 && value[end] is not (' ' or '\t')))
        {
            scheme = default;
            parameters = default;
            return false;
        }

        parameters = parameters.TrimStart(" \t");
        return true;
    }

    /// <summary>
    /// Adds to <paramref name="schemes"/> the scheme of every challenge in one <c>WWW-Authenticate</c> field value
    /// (<c>#challenge</c>, each a scheme with a token68 or auth-params). False when the value does not parse: the
    /// caller cannot know which schemes it offers.
    /// </summary>
    public static bool TryReadChallengeSchemes(ReadOnlySpan<char> value, List<string> schemes)
    {
        var rest = value;
        while (true)
        {
            rest = SkipListSeparators(rest);
            if (rest.IsEmpty)
            {
                return true;
            }

            var scheme = ReadToken(ref rest);
            if (scheme.IsEmpty)
            {
                return false;
            }

            schemes.Add(scheme.ToString());
            if (rest.IsEmpty || rest[0] == ',')
            {
                continue;
            }

            if (rest[0] is not (' ' or '\t'))
            {
                return false;
            }

            rest = rest.TrimStart(" \t");
            if (!TrySkipChallengeParameters(ref rest))
            {
                return false;
            }
        }
    }

    // After "scheme 1*SP": a token68, or auth-params up to the next challenge (a token not followed by "=").
    private static bool TrySkipChallengeParameters(ref ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty || rest[0] == ',')
        {
            return true;
        }

        var token68 = rest.IndexOfAnyExcept(Token68Chars);
        var candidate = token68 < 0 ? rest : rest[..token68];
        var afterToken68 = token68 < 0 ? default : rest[token68..];
        var padding = afterToken68.IndexOfAnyExcept('=');
        var afterPadding = (padding < 0 ? default : afterToken68[padding..]).TrimStart(" \t");
        if (candidate.Length > 0 && (afterPadding.IsEmpty || afterPadding[0] == ','))
        {
            // A token68 ("Negotiate oYG...==") is the challenge's only parameter - unless it is "name=" alone.
            rest = afterPadding;
            return true;
        }

        while (true)
        {
            var name = ReadToken(ref rest);
            rest = rest.TrimStart(" \t");
            if (name.IsEmpty || rest.IsEmpty || rest[0] != '=')
            {
                return false;
            }

            rest = rest[1..].TrimStart(" \t");
            if (!TrySkipParameterValue(ref rest))
            {
                return false;
            }

            rest = rest.TrimStart(" \t");
            if (rest.IsEmpty)
            {
                return true;
            }

            if (rest[0] != ',')
            {
                return false;
            }

            // The next list element is another parameter ("token BWS =") or the next challenge.
            var next = SkipListSeparators(rest);
            var probe = next;
            var token = ReadToken(ref probe);
            if (token.IsEmpty || probe.TrimStart(" \t") is not ['=', ..])
            {
                rest = next;
                return true;
            }

            rest = next;
        }
    }

    private static bool TrySkipParameterValue(ref ReadOnlySpan<char> rest)
    {
        if (rest.IsEmpty)
        {
            return false;
        }

        if (rest[0] != '"')
        {
            return !ReadToken(ref rest).IsEmpty;
        }

        for (var i = 1; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case '\\':
                    i++;
                    break;
                case '"':
                    rest = rest[(i + 1)..];
                    return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<char> ReadToken(ref ReadOnlySpan<char> rest)
    {
        var end = rest.IndexOfAnyExcept(TokenChars);
        var token = end < 0 ? rest : rest[..end];
        rest = end < 0 ? default : rest[end..];
        return token;
    }

    // RFC 9110 5.6.1: empty list elements are allowed and ignored.
    private static ReadOnlySpan<char> SkipListSeparators(ReadOnlySpan<char> rest)
    {
        var start = rest.IndexOfAnyExcept(" \t,");
        return start < 0 ? default : rest[start..];
    }
}
