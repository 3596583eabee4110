namespace Gateway.Configuration;

/// <summary>Reads <c>Gateway:Proxy</c>; whether the ids exist in YARP's section is checked with the snapshot.</summary>
internal static class ProxyPoliciesReader
{
    public static ProxyPoliciesConfig Read(IConfigurationSection gateway, ConfigErrors errors)
    {
        var section = gateway.GetSection("Proxy");
        ConfigReader.RejectUnknownKeys(section, errors, "Clusters", "Routes");

        var clusters = new Dictionary<string, ClusterPolicyConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetSection("Clusters").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(entry, errors, "Preset", "ConnectionPinned", "ActivityTimeout");
            var preset = ConfigReader.ReadEnum(entry, "Preset", ClusterPreset.None, errors);
            var pinned = ConfigReader.ReadBool(entry, "ConnectionPinned", preset == ClusterPreset.Exchange, errors);
            if (preset == ClusterPreset.Exchange && !pinned)
            {
                errors.Add(entry.Path + ":ConnectionPinned", "the Exchange preset needs connection pinning: NTLM over pooled connections would answer one user's requests as another's");
            }

            TimeSpan? activity = ConfigReader.ReadString(entry, "ActivityTimeout") is null
                ? null
                : ConfigReader.ReadDuration(entry, "ActivityTimeout", TimeSpan.FromHours(1), errors, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
            clusters[entry.Key] = new ClusterPolicyConfig(entry.Key, preset, pinned, activity, entry.Path);
        }

        var routes = new Dictionary<string, RoutePolicyConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in section.GetSection("Routes").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(entry, errors, "PathRules");
            var rules = new List<PathRuleConfig>();
            foreach (var rule in entry.GetSection("PathRules").GetChildren())
            {
                ConfigReader.RejectUnknownKeys(rule, errors, "Paths", "AllowedNetworks");
                var paths = new List<string>();
                foreach (var path in rule.GetSection("Paths").GetChildren())
                {
                    if (path.Value is not { Length: > 0 } value || value[0] != '/')
                    {
                        errors.Add(path.Path, $"'{path.Value}' is not a path; paths start with '/' (\"/ecp\")");
                    }
                    else
                    {
                        paths.Add(value.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/");
                    }
                }

                if (paths.Count == 0)
                {
                    errors.Add(rule.Path + ":Paths", "at least one path is required");
                }

                rules.Add(new PathRuleConfig(paths, Networks.Read(rule.GetSection("AllowedNetworks"), errors)));
            }

            routes[entry.Key] = new RoutePolicyConfig(entry.Key, rules, entry.Path);
        }

        return new ProxyPoliciesConfig(clusters, routes);
    }
}
