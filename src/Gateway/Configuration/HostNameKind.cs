namespace Gateway.Configuration;

/// <summary>What <see cref="HostNames.Classify"/> makes of a name.</summary>
internal enum HostNameKind
{
    /// <summary>Not a host name: empty labels (a leading dot, "..", two trailing dots), a label over 63 or a name over 253 characters, a character outside letters, digits, '-' and '_'.</summary>
    Invalid,

    /// <summary>A DNS host name.</summary>
    Name,

    /// <summary>An IPv4 address as resolvers and browsers read one ("127.0.0.1", "127.1", "0x7f.1"): its last label is a number.</summary>
    AddressLiteral,
}
