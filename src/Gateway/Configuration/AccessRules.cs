using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// An ordered allow/deny list of client networks, written as nginx and Nginx Proxy Manager write it
/// ("allow 192.0.2.0/24", "deny all"). The first matching rule decides. When none matches, a list that allows
/// anything denies the rest (an allowlist), and a list of denials only allows the rest (a blocklist).
/// </summary>
internal sealed class AccessRules
{
    private readonly (bool Allow, IPNetwork? Network)[] _rules;
    private readonly bool _defaultAllow;

    private AccessRules((bool Allow, IPNetwork? Network)[] rules)
    {
        _rules = rules;
        _defaultAllow = !rules.Any(r => r.Allow);
    }

    public int Count => _rules.Length;

    public bool Allows(IPAddress? client) => FirstMatch(client) ?? _defaultAllow;

    /// <summary>True only when an "allow" rule matched - not for a client a blocklist merely does not name.</summary>
    public bool ExplicitlyAllows(IPAddress? client) => FirstMatch(client) == true;

    private bool? FirstMatch(IPAddress? client)
    {
        client = client is null ? null : Networks.Unmapped(client);
        foreach (var (allow, network) in _rules)
        {
            if (network is null || (client is not null && network.Value.Contains(client)))
            {
                return allow;
            }
        }

        return null;
    }

    /// <summary>Reads a list of rules; each bad entry is reported with its path.</summary>
    public static AccessRules Read(IConfigurationSection section, ConfigErrors errors)
    {
        var rules = new List<(bool, IPNetwork?)>();
        foreach (var entry in ConfigReader.Items(section))
        {
            if (TryParse(entry.Value, out var rule))
            {
                rules.Add(rule);
            }
            else
            {
                errors.Add(entry.Path, $"'{entry.Value}' is not a rule; write \"allow 192.0.2.0/24\", \"deny 2001:db8::/32\", \"allow 198.51.100.7\" or \"deny all\" (IPv4 as four decimal numbers without leading zeros)");
            }
        }

        return new AccessRules([.. rules]);
    }

    public static AccessRules None { get; } = new([]);

    private static bool TryParse(string? text, out (bool Allow, IPNetwork? Network) rule)
    {
        rule = default;
        var parts = text?.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts is not { Length: 2 } || parts[0].ToLowerInvariant() is not ("allow" or "deny"))
        {
            return false;
        }

        var allow = parts[0].Equals("allow", StringComparison.OrdinalIgnoreCase);
        if (parts[1].Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            rule = (allow, null);
            return true;
        }

        if (!Networks.TryParse(parts[1], out var network))
        {
            return false;
        }

        rule = (allow, network);
        return true;
    }
}
