using Gateway.Configuration;

namespace Gateway.Limits;

/// <summary>Reads <c>Gateway:Limits</c>: connections at the edge, and Kestrel's limits for the HTTP it serves.</summary>
internal sealed class LimitsFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Limits"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var errors = next.Errors;
        var limits = next.Gateway.GetSection("Limits");
        ConfigReader.RejectUnknownKeys(limits, errors, "MaxConnections", "MaxConnectionsPerClientIp", "NewConnectionsPerClientIpPerMinute", "Http");
        next.Add(new LimitsConfig(
            OptionalInt(limits, "MaxConnections", errors),
            OptionalInt(limits, "MaxConnectionsPerClientIp", errors),
            OptionalInt(limits, "NewConnectionsPerClientIpPerMinute", errors),
            ReadHttpLimits(limits.GetSection("Http"), errors)));
        return ValueTask.CompletedTask;
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

    private static int? OptionalInt(IConfigurationSection section, string key, ConfigErrors errors) =>
        ConfigReader.ReadString(section, key) is null ? null : ConfigReader.ReadInt(section, key, 0, 1, int.MaxValue, errors);
}
