using Gateway.Configuration;

namespace Gateway.Sni;

/// <summary>Reads <c>Gateway:ClientHello</c>: how long and how large a ClientHello may be.</summary>
internal sealed class ClientHelloFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["ClientHello"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var section = next.Gateway.GetSection("ClientHello");
        ConfigReader.RejectUnknownKeys(section, next.Errors, "Timeout", "MaxBytes");
        next.Add(new ClientHelloConfig(
            ConfigReader.ReadDuration(section, "Timeout", TimeSpan.FromSeconds(5), next.Errors, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)),
            // 512 bytes fits no real hello; 64 KiB is the most a ClientHello may usefully be (Go's maxHandshake).
            ConfigReader.ReadInt(section, "MaxBytes", 16384, 512, 65536 + 5 * 5, next.Errors)));
        return ValueTask.CompletedTask;
    }
}
