using System.Net.Mail;
using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>Reads <c>Gateway:Acme</c>.</summary>
internal static class AcmeConfigReader
{
    public static AcmeConfig Read(IConfigurationSection gateway, string baseDirectory, bool httpListener, ConfigErrors errors)
    {
        var section = gateway.GetSection("Acme");
        ConfigReader.RejectUnknownKeys(section, errors, "Enabled", "Directory", "DirectoryTrust", "Email", "AcceptTermsOfService", "Challenges", "Hosts", "RenewBefore", "LockLease", "Dns");
        var defaults = AcmeConfig.Disabled;
        var enabled = ConfigReader.ReadBool(section, "Enabled", false, errors);

        var directory = ReadDirectory(section, errors) ?? defaults.Directory;
        string? trust = null;
        if (ConfigReader.ReadString(section, "DirectoryTrust") is { } trustFile)
        {
            trust = Path.GetFullPath(trustFile, baseDirectory);
            if (!File.Exists(trust))
            {
                errors.Add(ConfigReader.Path(section, "DirectoryTrust"), $"the PEM file '{trust}' does not exist");
            }
        }

        var email = ConfigReader.ReadString(section, "Email");
        if (email is not null && (!MailAddress.TryCreate(email, out var address) || address.Address != email))
        {
            errors.Add(ConfigReader.Path(section, "Email"), $"'{email}' is not an e-mail address (just the address: \"admin@example.com\")");
        }

        var dns = AcmeDnsConfigReader.Read(section, baseDirectory, errors);
        var challenges = ReadChallenges(section, errors) ?? defaults.Challenges;
        if (challenges.Contains(AcmeChallengeType.Dns01) && dns is null && !section.GetSection("Dns").Exists())
        {
            errors.Add(ConfigReader.Path(section, "Challenges"), "dns-01 needs Gateway:Acme:Dns (where the TXT records are published)");
        }

        if (enabled && !httpListener && challenges.All(c => c == AcmeChallengeType.Http01))
        {
            errors.Add(ConfigReader.Path(section, "Challenges"), "http-01 needs the HTTP listener (Gateway:Listeners:Http), which is off; add \"tls-alpn-01\" or turn the listener on");
        }

        var hosts = new List<HostPattern>();
        foreach (var entry in ConfigReader.Items(section.GetSection("Hosts")))
        {
            if (!HostPattern.TryParse(entry.Value, out var host, out var error))
            {
                errors.Add(entry.Path, error!);
            }
            else if (host.IsWildcard && !section.GetSection("Dns").Exists())
            {
                errors.Add(entry.Path, $"'{host}' is a wildcard: wildcard certificates need the dns-01 challenge, which needs Gateway:Acme:Dns; set it up or list each name");
            }
            else if (!hosts.Contains(host))
            {
                hosts.Add(host);
            }
        }

        var renewBefore = ConfigReader.ReadOptionalDuration(section, "RenewBefore", errors, TimeSpan.FromHours(1), TimeSpan.FromDays(365));

        // Short enough that a crashed instance's order is taken over soon, long enough that a store stalling for a few
        // seconds (an NFS server failing over) does not make a live holder look dead.
        var lease = ConfigReader.ReadOptionalDuration(section, "LockLease", errors, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1)) ?? AcmeConfig.DefaultLockLease;

        return new AcmeConfig(enabled, directory, trust, email, ConfigReader.ReadBool(section, "AcceptTermsOfService", false, errors), challenges, hosts, renewBefore, lease, dns);
    }

    private static Uri? ReadDirectory(IConfigurationSection section, ConfigErrors errors)
    {
        var raw = ConfigReader.ReadString(section, "Directory");
        if (raw is null)
        {
            return null;
        }

        if (raw.Equals("LetsEncrypt", StringComparison.OrdinalIgnoreCase))
        {
            return AcmeConfig.LetsEncrypt;
        }

        if (raw.Equals("LetsEncryptStaging", StringComparison.OrdinalIgnoreCase))
        {
            return AcmeConfig.LetsEncryptStaging;
        }

        if (!Uri.TryCreate(raw, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            errors.Add(ConfigReader.Path(section, "Directory"), $"'{raw}' is not an https:// directory URL, \"LetsEncrypt\" or \"LetsEncryptStaging\"");
            return null;
        }

        return uri;
    }

    private static List<AcmeChallengeType>? ReadChallenges(IConfigurationSection section, ConfigErrors errors)
    {
        var entries = ConfigReader.Items(section.GetSection("Challenges")).ToList();
        if (entries.Count == 0)
        {
            return null;
        }

        var challenges = new List<AcmeChallengeType>();
        foreach (var entry in entries)
        {
            AcmeChallengeType? type = entry.Value?.Trim().ToLowerInvariant() switch
            {
                "tls-alpn-01" => AcmeChallengeType.TlsAlpn01,
                "http-01" => AcmeChallengeType.Http01,
                "dns-01" => AcmeChallengeType.Dns01,
                _ => null,
            };
            if (type is null)
            {
                errors.Add(entry.Path, $"'{entry.Value}' is not a challenge Gateway answers; use \"tls-alpn-01\", \"http-01\" and/or \"dns-01\"");
            }
            else if (!challenges.Contains(type.Value))
            {
                challenges.Add(type.Value);
            }
        }

        return challenges.Count == 0 ? null : challenges;
    }
}
