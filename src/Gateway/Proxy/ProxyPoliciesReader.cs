using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Proxy;

/// <summary>Reads <c>Gateway:Proxy</c>; whether the ids exist in YARP's section is checked with the generation.</summary>
internal static class ProxyPoliciesReader
{
    private static readonly int[] RedirectCodes = [301, 302, 307, 308];
    private static readonly int[] ErrorPageCodes = [502, 503, 504];

    public static ProxyPoliciesConfig Read(IConfigurationSection gateway, string baseDirectory, ConfigErrors errors)
    {
        var section = gateway.GetSection("Proxy");
        ConfigReader.RejectUnknownKeys(section, errors, "Clusters", "Routes", "Redirects", "DefaultSite", "ErrorPages");

        var clusters = new Dictionary<string, ClusterPolicyConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetSection("Clusters").GetChildren())
        {
            clusters[entry.Key] = ReadCluster(entry, errors);
        }

        var routes = new Dictionary<string, RoutePolicyConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetSection("Routes").GetChildren())
        {
            routes[entry.Key] = ReadRoute(entry, errors);
        }

        var redirects = new Dictionary<string, RedirectHostConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetSection("Redirects").GetChildren())
        {
            if (ReadRedirect(entry, errors) is { } redirect)
            {
                redirects[entry.Key] = redirect;
            }
        }

        return new ProxyPoliciesConfig(clusters, routes, redirects, ReadDefaultSite(section.GetSection("DefaultSite"), errors),
            ReadErrorPages(section.GetSection("ErrorPages"), baseDirectory, errors));
    }

    private static ClusterPolicyConfig ReadCluster(IConfigurationSection entry, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(entry, errors, "Preset", "ConnectionPinned", "ActivityTimeout", "PerRequestAuthSchemes");
        var preset = ConfigReader.ReadEnum(entry, "Preset", ClusterPreset.None, errors);
        var pinned = ConfigReader.ReadBool(entry, "ConnectionPinned", preset == ClusterPreset.Exchange, errors);
        if (preset == ClusterPreset.Exchange && !pinned)
        {
            errors.Add(entry.Path + ":ConnectionPinned", "the Exchange preset needs connection pinning: NTLM over pooled connections would answer one user's requests as another's");
        }

        var activity = ConfigReader.ReadOptionalDuration(entry, "ActivityTimeout", errors, ProxyPolicies.MinActivityTimeout, TimeSpan.FromDays(1));
        return new ClusterPolicyConfig(entry.Key, preset, pinned, activity, ReadAuthSchemes(entry.GetSection("PerRequestAuthSchemes"), errors), entry.Path);
    }

    private static HashSet<string> ReadAuthSchemes(IConfigurationSection section, ConfigErrors errors)
    {
        var schemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (section.Value is { Length: > 0 })
        {
            errors.Add(section.Path, "a list of scheme names is expected ([\"Token\"])");
            return schemes;
        }

        foreach (var scheme in ConfigReader.Items(section))
        {
            if (!HttpAuthScheme.IsToken(scheme.Value))
            {
                errors.Add(scheme.Path, $"'{scheme.Value}' is not an authentication scheme name (letters, digits and !#$%&'*+-.^_`|~, as in \"Token\")");
            }
            else if (HttpAuthScheme.ConnectionBound.Contains(scheme.Value!))
            {
                errors.Add(scheme.Path, $"'{scheme.Value}' binds an identity to the backend connection, so a pooled cluster can never take it; set ConnectionPinned to true instead");
            }
            else
            {
                schemes.Add(scheme.Value!);
            }
        }

        return schemes;
    }

    private static RoutePolicyConfig ReadRoute(IConfigurationSection entry, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(entry, errors, "PathRules", "Access", "Users", "Satisfy", "ForceHttps", "Hsts", "Http2", "BlockExploits");
        var rules = new List<PathRuleConfig>();
        foreach (var rule in ConfigReader.Items(entry.GetSection("PathRules")))
        {
            ConfigReader.RejectUnknownKeys(rule, errors, "Paths", "AllowedNetworks");
            var paths = new List<string>();
            foreach (var path in ConfigReader.Items(rule.GetSection("Paths")))
            {
                if (path.Value is not { Length: > 0 } value || value[0] != '/')
                {
                    errors.Add(path.Path, $"'{path.Value}' is not a path; paths start with '/' (\"/ecp\")");
                }
                else if (RequestPath.Read(value) is var read && (read.Evasive || read.Count > 1 || !Same(read[0], value)))
                {
                    // A prefix no request path reads as would never match: say what it is read as.
                    errors.Add(path.Path, read.Evasive || read.Count > 1
                        ? $"'{value}' is not a plain path; write it decoded, without '..' (\"/ecp\")"
                        : $"'{value}' is read as '{read[0]}' (the way the servers behind read it); write that");
                }
                else
                {
                    paths.Add(value.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/");
                }
            }

            if (paths.Count == 0 && !ConfigReader.HoldsValue(rule.GetSection("Paths")))
            {
                errors.Add(rule.Path + ":Paths", "at least one path is required");
            }

            rules.Add(new PathRuleConfig(paths, Networks.Read(rule.GetSection("AllowedNetworks"), errors)));
        }

        var satisfy = ConfigReader.ReadString(entry, "Satisfy") ?? "All";
        if (!satisfy.Equals("All", StringComparison.OrdinalIgnoreCase) && !satisfy.Equals("Any", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(entry.Path + ":Satisfy", $"'{satisfy}' is not Any or All");
        }

        return new RoutePolicyConfig(
            entry.Key,
            rules,
            AccessRules.Read(entry.GetSection("Access"), errors),
            PasswordUsers.Read(entry.GetSection("Users"), errors),
            satisfy.Equals("Any", StringComparison.OrdinalIgnoreCase),
            ConfigReader.ReadBool(entry, "ForceHttps", true, errors),
            ReadHsts(entry.GetSection("Hsts"), errors),
            ConfigReader.ReadBool(entry, "Http2", true, errors),
            ConfigReader.ReadBool(entry, "BlockExploits", false, errors),
            entry.Path);
    }

    private static bool Same(string read, string configured) =>
        read.TrimEnd('/').Equals(configured.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static HstsConfig? ReadHsts(IConfigurationSection section, ConfigErrors errors)
    {
        if (!section.Exists())
        {
            return null;
        }

        ConfigReader.RejectUnknownKeys(section, errors, "MaxAge", "IncludeSubDomains", "Preload");
        var hsts = new HstsConfig(
            ConfigReader.ReadDuration(section, "MaxAge", TimeSpan.FromDays(365), errors, TimeSpan.Zero, TimeSpan.FromDays(2 * 365)),
            ConfigReader.ReadBool(section, "IncludeSubDomains", false, errors),
            ConfigReader.ReadBool(section, "Preload", false, errors));
        if (hsts.Preload && (!hsts.IncludeSubDomains || hsts.MaxAge < TimeSpan.FromDays(365)))
        {
            // hstspreload.org refuses a preload request without both.
            errors.Add(section.Path + ":Preload", "preload lists require IncludeSubDomains and a MaxAge of at least a year");
        }

        return hsts;
    }

    private static RedirectHostConfig? ReadRedirect(IConfigurationSection entry, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(entry, errors, "Hosts", "To", "Code", "KeepPath");
        var hosts = new List<HostPattern>();
        foreach (var host in ConfigReader.Items(entry.GetSection("Hosts")))
        {
            if (HostPattern.TryParse(host.Value, out var pattern, out var error))
            {
                hosts.Add(pattern);
            }
            else
            {
                errors.Add(host.Path, error!);
            }
        }

        if (hosts.Count == 0 && !ConfigReader.HoldsValue(entry.GetSection("Hosts")))
        {
            errors.Add(entry.Path + ":Hosts", "at least one host is required");
        }

        var to = ConfigReader.ReadString(entry, "To");
        if (to is null || !Uri.TryCreate(to, UriKind.Absolute, out var target) || (target.Scheme != Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttp))
        {
            errors.Add(entry.Path + ":To", $"'{to}' is not an absolute http(s) URL (\"https://www.example.com\")");
            return null;
        }

        var code = ConfigReader.ReadInt(entry, "Code", 301, 301, 308, errors);
        if (!RedirectCodes.Contains(code))
        {
            errors.Add(entry.Path + ":Code", $"{code} is not a redirect status; use 301, 302, 307 or 308");
        }

        return new RedirectHostConfig(entry.Key, hosts, to.TrimEnd('/'), code, ConfigReader.ReadBool(entry, "KeepPath", true, errors));
    }

    private static DefaultSiteConfig ReadDefaultSite(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Action", "To");
        var action = ConfigReader.ReadEnum(section, "Action", DefaultSiteAction.NotFound, errors);
        var to = ConfigReader.ReadString(section, "To");
        if (action == DefaultSiteAction.Redirect && (to is null || !Uri.TryCreate(to, UriKind.Absolute, out _)))
        {
            errors.Add(section.Path + ":To", "a Redirect default site needs an absolute URL to send visitors to");
        }

        return new DefaultSiteConfig(action, to);
    }

    private static Dictionary<int, string> ReadErrorPages(IConfigurationSection section, string baseDirectory, ConfigErrors errors)
    {
        var pages = new Dictionary<int, string>();
        foreach (var entry in section.GetChildren())
        {
            if (!int.TryParse(entry.Key, out var code) || !ErrorPageCodes.Contains(code))
            {
                errors.Add(entry.Path, $"'{entry.Key}' is not an error page Gateway serves; expected one of: 502, 503, 504");
                continue;
            }

            var path = entry.Value is null ? null : Path.GetFullPath(entry.Value, baseDirectory);
            try
            {
                pages[code] = path is null ? throw new FileNotFoundException() : File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(entry.Path, $"cannot read the HTML file '{path}': {e.Message}");
            }
        }

        return pages;
    }
}
