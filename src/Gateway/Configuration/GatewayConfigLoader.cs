using Gateway.Admin;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Passthrough;
using Gateway.Proxy;
using Gateway.ProxyProtocol;
using Gateway.Sni;
namespace Gateway.Configuration;

/// <summary>
/// Reads the <c>Gateway</c> section into a <see cref="GatewayConfig"/>, checking everything and reporting
/// every error with its path. Relative file paths are resolved against <c>baseDirectory</c> (the config
/// file's folder), so a config means the same thing whatever the working directory.
/// </summary>
internal static class GatewayConfigLoader
{
    public const string SectionName = "Gateway";

    /// <summary>Always returns a config so later checks (certificate files, host clashes) still run; it is usable only when <paramref name="errors"/> is empty.</summary>
    public static GatewayConfig Load(IConfiguration root, string baseDirectory, ConfigErrors errors)
    {
        var section = root.GetSection(SectionName);
        ConfigReader.RejectUnknownKeys(section, errors, "Listeners", "ClientHello", "Passthrough", "Tls", "Certificates", "Reload", "Limits", "ShutdownTimeout", "Admin", "Acme", "Proxy", "ProxyProtocol");

        var listeners = ReadListeners(section.GetSection("Listeners"), errors);
        var clientHello = ReadClientHello(section.GetSection("ClientHello"), errors);
        var passthrough = PassthroughConfigReader.Read(section.GetSection("Passthrough"), errors);
        var tls = ReadTls(section.GetSection("Tls"), baseDirectory, errors);

        var certificates = section.GetSection("Certificates");
        ConfigReader.RejectUnknownKeys(certificates, errors, "Path");
        var certificatesPath = Path.GetFullPath(ConfigReader.ReadString(certificates, "Path") ?? "certs", baseDirectory);

        var reload = section.GetSection("Reload");
        ConfigReader.RejectUnknownKeys(reload, errors, "CloseRemovedAfter");
        var closeRemovedAfter = ConfigReader.ReadOptionalDuration(reload, "CloseRemovedAfter", errors, TimeSpan.Zero, TimeSpan.FromDays(7));

        var limits = section.GetSection("Limits");
        ConfigReader.RejectUnknownKeys(limits, errors, "MaxConnections", "MaxConnectionsPerClientIp", "NewConnectionsPerClientIpPerMinute", "Http");

        var admin = AdminConfigReader.Read(section, errors);
        var acme = AcmeConfigReader.Read(section, baseDirectory, listeners is null || listeners.Http is not null, errors);
        var bound = new List<(string, HostPort)>();
        if (listeners is not null)
        {
            bound.Add(("Gateway:Listeners:Https", listeners.Https));
            if (listeners.Http is { } http)
            {
                bound.Add(("Gateway:Listeners:Http", http));
            }
        }

        if (admin.Listen is { } adminListen)
        {
            bound.Add(("Gateway:Listeners:Admin", adminListen));
        }

        bound.AddRange(passthrough.Streams.Values.Select(s => ($"Gateway:Passthrough:Streams:{s.StreamId}:Listen", s.Listen)));
        ListenerClashes.Check(bound, errors);

        return new GatewayConfig(
            listeners ?? new ListenersConfig(new HostPort("127.0.0.1", 8443), null, null),
            clientHello, passthrough, tls, certificatesPath, new ReloadConfig(closeRemovedAfter),
            new LimitsConfig(OptionalInt(limits, "MaxConnections", errors), OptionalInt(limits, "MaxConnectionsPerClientIp", errors),
                OptionalInt(limits, "NewConnectionsPerClientIpPerMinute", errors), ReadHttpLimits(limits.GetSection("Http"), errors)),
            ConfigReader.ReadDuration(section, "ShutdownTimeout", TimeSpan.FromSeconds(30), errors, TimeSpan.Zero, TimeSpan.FromHours(2)),
            admin,
            acme,
            ProxyPoliciesReader.Read(section, baseDirectory, errors),
            ReadProxyProtocol(section.GetSection("ProxyProtocol"), errors));
    }

    /// <summary>Kestrel's defaults, written down and tightened where a public listener needs it (slow request heads).</summary>
    private static HttpLimitsConfig ReadHttpLimits(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "RequestHeadersTimeout", "KeepAliveTimeout", "MaxRequestHeadersTotalSize", "MaxRequestHeaderCount", "MinRequestBodyDataRate", "MaxRequestBodySize");
        long? maxBody = ConfigReader.ReadString(section, "MaxRequestBodySize") is "off" or "Off" ? null
            : ConfigReader.ReadInt(section, "MaxRequestBodySize", 30_000_000, 1, int.MaxValue, errors);
        return new HttpLimitsConfig(
            ConfigReader.ReadDuration(section, "RequestHeadersTimeout", TimeSpan.FromSeconds(15), errors, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            ConfigReader.ReadDuration(section, "KeepAliveTimeout", TimeSpan.FromMinutes(2), errors, TimeSpan.FromSeconds(1), TimeSpan.FromHours(2)),
            ConfigReader.ReadInt(section, "MaxRequestHeadersTotalSize", 32 * 1024, 1024, 1024 * 1024, errors),
            ConfigReader.ReadInt(section, "MaxRequestHeaderCount", 100, 10, 10_000, errors),
            ConfigReader.ReadInt(section, "MinRequestBodyDataRate", 240, 0, 1_000_000, errors),
            maxBody);
    }

    private static ProxyProtocolConfig ReadProxyProtocol(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "TrustedNetworks");
        return new ProxyProtocolConfig(Networks.Read(section.GetSection("TrustedNetworks"), errors));
    }

    private static int? OptionalInt(IConfigurationSection section, string key, ConfigErrors errors) =>
        ConfigReader.ReadString(section, key) is null ? null : ConfigReader.ReadInt(section, key, 0, 1, int.MaxValue, errors);

    private static ListenersConfig? ReadListeners(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Https", "Http", "HttpsPublicPort", "Admin");
        var https = ReadListenAddress(section, "Https", "127.0.0.1:8443", required: true, errors);
        var http = ReadListenAddress(section, "Http", "127.0.0.1:8080", required: false, errors);
        int? publicPort = ConfigReader.ReadString(section, "HttpsPublicPort") is null
            ? null
            : ConfigReader.ReadInt(section, "HttpsPublicPort", 443, 1, 65535, errors);
        return https is null ? null : new ListenersConfig(https, http, publicPort);
    }

    public static HostPort? ReadListenAddress(IConfigurationSection section, string key, string? defaultValue, bool required, ConfigErrors errors)
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

    private static ClientHelloConfig ReadClientHello(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Timeout", "MaxBytes");
        return new ClientHelloConfig(
            ConfigReader.ReadDuration(section, "Timeout", TimeSpan.FromSeconds(5), errors, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            // 512 bytes fits no real hello; 64 KiB is the most a ClientHello may usefully be (Go's maxHandshake).
            ConfigReader.ReadInt(section, "MaxBytes", 16384, 512, 65536 + 5 * 5, errors));
    }

    private static TlsConfig ReadTls(IConfigurationSection section, string baseDirectory, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "MinProtocol", "AllowResumption", "Certificates", "UnknownSni");
        var certificates = new List<CertificateFileConfig>();
        var seen = new Dictionary<HostPattern, string>();
        foreach (var entry in section.GetSection("Certificates").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(entry, errors, "CertificatePath", "KeyPath");
            if (!HostPattern.TryParse(entry.Key, out var host, out var error))
            {
                errors.Add(entry.Path, error!);
                continue;
            }

            if (!seen.TryAdd(host, entry.Path))
            {
                errors.Add(entry.Path, $"host '{host}' already has a certificate at {seen[host]}");
                continue;
            }

            var certificate = ConfigReader.ReadString(entry, "CertificatePath");
            var key = ConfigReader.ReadString(entry, "KeyPath");
            if (certificate is null)
            {
                errors.Add(entry.Path + ":CertificatePath", "the PEM certificate file (leaf first, then intermediates) is required");
            }

            if (key is null)
            {
                errors.Add(entry.Path + ":KeyPath", "the PEM private key file is required");
            }

            if (certificate is not null && key is not null)
            {
                certificates.Add(new CertificateFileConfig(host, Path.GetFullPath(certificate, baseDirectory), Path.GetFullPath(key, baseDirectory), entry.Path));
            }
        }

        return new TlsConfig(
            ConfigReader.ReadEnum(section, "MinProtocol", TlsMinProtocol.Tls12, errors),
            ConfigReader.ReadBool(section, "AllowResumption", false, errors),
            certificates,
            ConfigReader.ReadEnum(section, "UnknownSni", UnknownSniAction.Terminate, errors));
    }
}
