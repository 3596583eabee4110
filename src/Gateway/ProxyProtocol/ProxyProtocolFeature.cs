using Gateway.Configuration;

namespace Gateway.ProxyProtocol;

/// <summary>Reads <c>Gateway:ProxyProtocol</c>: which peers may put a PROXY header in front of a connection.</summary>
internal sealed class ProxyProtocolFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["ProxyProtocol"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var section = next.Gateway.GetSection("ProxyProtocol");
        ConfigReader.RejectUnknownKeys(section, next.Errors, "TrustedNetworks");
        next.Add(new ProxyProtocolConfig(Networks.Read(section.GetSection("TrustedNetworks"), next.Errors)));
        return ValueTask.CompletedTask;
    }
}
