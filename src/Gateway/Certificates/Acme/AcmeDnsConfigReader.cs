using System.Net;
using System.Text.RegularExpressions;
using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>Reads <c>Gateway:Acme:Dns</c>. The TSIG secret never appears in an error: a message names its key, not its value.</summary>
internal static partial class AcmeDnsConfigReader
{
    private static readonly string[] Rfc2136Keys = ["Server", "TsigKeyName", "TsigAlgorithm", "TsigSecret", "TsigSecretFile", "Zone"];
    private static readonly string[] ExecKeys = ["Command", "CommandTimeout"];

    /// <returns>Null when the section is absent (no dns-01) or unusable (the errors say why).</returns>
    public static AcmeDnsConfig? Read(IConfigurationSection acme, string baseDirectory, ConfigErrors errors)
    {
        var section = acme.GetSection("Dns");
        if (!section.Exists())
        {
            return null;
        }

        ConfigReader.RejectUnknownKeys(section, errors, ["Provider", .. Rfc2136Keys, .. ExecKeys, "PropagationServers", "PropagationTimeout"]);
        var providerPath = ConfigReader.Path(section, "Provider");
        var raw = ConfigReader.ReadString(section, "Provider");
        var names = Enum.GetNames<AcmeDnsProviderKind>();
        AcmeDnsProviderKind provider;
        if (raw is null)
        {
            errors.Add(providerPath, $"a provider is required: one of {string.Join(", ", names)}");
            return null;
        }

        if (!ConfigReader.TryParseEnum(raw, out provider))
        {
            errors.Add(providerPath, $"'{raw}' is not a DNS provider{NearMiss.Hint(raw, names)}; use one of: {string.Join(", ", names)}");
            return null;
        }

        // A key of the other provider is a mistake an operator would not notice: it would simply be ignored.
        foreach (var key in provider == AcmeDnsProviderKind.Rfc2136 ? ExecKeys : Rfc2136Keys)
        {
            if (section.GetSection(key).Exists())
            {
                errors.Add(ConfigReader.Path(section, key), $"'{key}' belongs to the {(provider == AcmeDnsProviderKind.Rfc2136 ? "Exec" : "Rfc2136")} provider, not {provider}");
            }
        }

        var propagationServers = new List<IPEndPoint>();
        foreach (var entry in ConfigReader.Items(section.GetSection("PropagationServers")))
        {
            if (ReadEndPoint(entry.Value, entry.Path, errors) is { } endPoint)
            {
                propagationServers.Add(endPoint);
            }
        }

        var propagationTimeout = ConfigReader.ReadDuration(section, "PropagationTimeout", TimeSpan.FromMinutes(2), errors, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var commandTimeout = ConfigReader.ReadDuration(section, "CommandTimeout", TimeSpan.FromMinutes(2), errors, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (provider == AcmeDnsProviderKind.Exec)
        {
            var command = ReadCommand(section, baseDirectory, errors);
            return command is null ? null : new AcmeDnsConfig(provider, null, null, AcmeDnsConfig.DefaultTsigAlgorithm, null, null, propagationServers, propagationTimeout, command, commandTimeout);
        }

        IPEndPoint? server = null;
        if (ConfigReader.ReadString(section, "Server") is not { } serverText)
        {
            errors.Add(ConfigReader.Path(section, "Server"), "the Rfc2136 provider needs the primary server that takes updates, as \"address\" or \"address:port\" (\"127.0.0.1:53\")");
        }
        else
        {
            server = ReadEndPoint(serverText, ConfigReader.Path(section, "Server"), errors);
        }

        var keyName = ConfigReader.ReadString(section, "TsigKeyName");
        if (keyName is null)
        {
            errors.Add(ConfigReader.Path(section, "TsigKeyName"), "the Rfc2136 provider needs the TSIG key's name, as the DNS server knows it");
        }
        else if (!ARSoft.Tools.Net.DomainName.TryParse(keyName, out _))
        {
            errors.Add(ConfigReader.Path(section, "TsigKeyName"), $"'{keyName}' is not a DNS name");
            keyName = null;
        }

        var algorithm = ConfigReader.ReadString(section, "TsigAlgorithm")?.ToLowerInvariant() ?? AcmeDnsConfig.DefaultTsigAlgorithm;
        if (algorithm == "hmac-md5.sig-alg.reg.int")
        {
            algorithm = "hmac-md5";
        }

        if (!AcmeDnsConfig.TsigAlgorithms.Contains(algorithm))
        {
            errors.Add(ConfigReader.Path(section, "TsigAlgorithm"), $"'{ConfigReader.ReadString(section, "TsigAlgorithm")}' is not a TSIG algorithm Gateway signs with{NearMiss.Hint(algorithm, AcmeDnsConfig.TsigAlgorithms)}; use one of: {string.Join(", ", AcmeDnsConfig.TsigAlgorithms)}");
        }

        var secret = ReadSecret(section, baseDirectory, errors);

        var zone = ConfigReader.ReadString(section, "Zone");
        if (zone is not null && (!HostPattern.TryParse(zone.TrimEnd('.'), out var zonePattern, out _) || zonePattern.IsWildcard))
        {
            errors.Add(ConfigReader.Path(section, "Zone"), $"'{zone}' is not a zone name (\"example.com\")");
            zone = null;
        }

        if (server is null || keyName is null || secret is null)
        {
            return null;
        }

        return new AcmeDnsConfig(provider, server, keyName, algorithm, secret, zone?.TrimEnd('.'), propagationServers, propagationTimeout, null, commandTimeout);
    }

    private static IPEndPoint? ReadEndPoint(string? text, string path, ConfigErrors errors)
    {
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed) || !IPEndPoint.TryParse(trimmed, out var endPoint) || trimmed.EndsWith(":0", StringComparison.Ordinal))
        {
            errors.Add(path, $"'{text}' is not \"address\" or \"address:port\" (an IP address: \"127.0.0.1:53\", \"[::1]:53\"; a name would need a resolver this server may be the one for)");
            return null;
        }

        if (endPoint.Port == 0)
        {
            endPoint.Port = 53;
        }

        return endPoint;
    }

    private static byte[]? ReadSecret(IConfigurationSection section, string baseDirectory, ConfigErrors errors)
    {
        var inline = ConfigReader.ReadString(section, "TsigSecret");
        var file = ConfigReader.ReadString(section, "TsigSecretFile");
        if (inline is not null && file is not null)
        {
            errors.Add(ConfigReader.Path(section, "TsigSecretFile"), "give the TSIG secret once: TsigSecret or TsigSecretFile, not both");
            return null;
        }

        string text;
        string path;
        if (inline is not null)
        {
            text = inline;
            path = ConfigReader.Path(section, "TsigSecret");
        }
        else if (file is not null)
        {
            path = ConfigReader.Path(section, "TsigSecretFile");
            var full = Path.GetFullPath(file, baseDirectory);
            try
            {
                text = File.ReadAllText(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(path, $"the secret file '{full}' cannot be read: {e.Message}");
                return null;
            }

            // The file tsig-keygen writes (key "name" { algorithm ...; secret "..."; };) is taken as it is.
            if (KeyFileSecret().Match(text) is { Success: true } match)
            {
                text = match.Groups[1].Value;
            }
        }
        else
        {
            errors.Add(ConfigReader.Path(section, "TsigSecret"), "the Rfc2136 provider needs the TSIG secret: TsigSecret (base64) or TsigSecretFile (a file holding it, or the key file tsig-keygen wrote)");
            return null;
        }

        var secret = new byte[text.Length];
        if (!Convert.TryFromBase64String(text.Trim(), secret, out var length) || length == 0)
        {
            errors.Add(path, "the TSIG secret is not base64 (as tsig-keygen prints it; the value is not repeated here)");
            return null;
        }

        return secret[..length];
    }

    private static string? ReadCommand(IConfigurationSection section, string baseDirectory, ConfigErrors errors)
    {
        var path = ConfigReader.Path(section, "Command");
        if (ConfigReader.ReadString(section, "Command") is not { } command)
        {
            errors.Add(path, "the Exec provider needs the program to run, called as 'present|cleanup FQDN VALUE'");
            return null;
        }

        string? full = null;
        if (command.Contains('/', StringComparison.Ordinal))
        {
            full = Path.GetFullPath(command, baseDirectory);
        }
        else
        {
            foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                if (File.Exists(Path.Combine(folder, command)))
                {
                    full = Path.Combine(folder, command);
                    break;
                }
            }
        }

        if (full is null || !File.Exists(full))
        {
            errors.Add(path, full is null ? $"'{command}' is not found on the PATH" : $"the program '{full}' does not exist");
            return null;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            errors.Add(path, $"the program '{full}' is not executable (chmod +x)");
            return null;
        }

        return full;
    }

    [GeneratedRegex("""secret\s+"([^"]*)"\s*;""")]
    private static partial Regex KeyFileSecret();
}
