using Gateway.Configuration;

namespace Gateway.Core;

/// <summary>Reads a listener's "address:port"; every listener (HTTPS, HTTP, admin, streams) is read the same way.</summary>
internal static class ListenAddress
{
    public static HostPort? Read(IConfigurationSection section, string key, string? defaultValue, bool required, ConfigErrors errors)
    {
        var raw = section[key];
        if (raw is null && defaultValue is null)
        {
            errors.Add(ConfigReader.Path(section, key), "a listen address is required, as \"address:port\"");
            return null;
        }

        raw ??= defaultValue!;
        if (raw.Trim().Length == 0 || raw.Trim().Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            if (required)
            {
                errors.Add(ConfigReader.Path(section, key), "this listener cannot be switched off");
            }

            return null;
        }

        if (!HostPort.TryParse(raw, out var address, out var error))
        {
            errors.Add(ConfigReader.Path(section, key), error!);
            return null;
        }

        if (address!.Address is null && !address.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(ConfigReader.Path(section, key), $"'{address.Host}' is not an IP address; a listener binds an IP (\"0.0.0.0\", \"[::]\", \"127.0.0.1\") or \"localhost\"");
            return null;
        }

        return address;
    }
}
