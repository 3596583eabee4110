namespace Gateway.Configuration;

/// <summary>
/// The one check of a host name that the ClientHello router (the SNI) and every <see cref="HostTable{T}"/> lookup apply:
/// one trailing dot is the root and is ignored, anything else that is not a host name matches nothing.
/// </summary>
internal static class HostNames
{
    public const int MaxLength = 253;
    private const int MaxLabelLength = 63;

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <param name="name">The name without its trailing dot when it is a name or an address; empty otherwise.</param>
    public static HostNameKind Classify(ReadOnlySpan<char> host, out ReadOnlySpan<char> name)
    {
        name = default;
        var trimmed = host.EndsWith('.') ? host[..^1] : host;
        if (trimmed.Length is 0 or > MaxLength)
        {
            return HostNameKind.Invalid;
        }

        var lastLabel = 0;
        var labelLength = 0;
        for (var i = 0; i < trimmed.Length; i++)
        {
            var c = trimmed[i];
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    return HostNameKind.Invalid;
                }

                labelLength = 0;
                lastLabel = i + 1;
                continue;
            }

            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return HostNameKind.Invalid;
            }

            if (++labelLength > MaxLabelLength)
            {
                return HostNameKind.Invalid;
            }
        }

        if (labelLength == 0)
        {
            return HostNameKind.Invalid; // "example.." is "example." plus an empty label
        }

        name = trimmed;
        return IsNumber(trimmed[lastLabel..]) ? HostNameKind.AddressLiteral : HostNameKind.Name;
    }

    /// <summary>
    /// A label that makes the name an IPv4 address for resolvers (inet_aton) and browsers (the URL standard's "ends in
    /// a number"): decimal digits, or 0x and hex digits. No top-level domain is numeric (RFC 3696 2).
    /// </summary>
    private static bool IsNumber(ReadOnlySpan<char> label)
    {
        if (label.Length >= 2 && label[0] == '0' && label[1] is 'x' or 'X')
        {
            return !label[2..].ContainsAnyExcept(HexDigits);
        }

        return !label.ContainsAnyExceptInRange('0', '9');
    }
}
