using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <summary>Reads <c>Gateway:Passthrough</c> and compiles its host table.</summary>
internal sealed class PassthroughFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Passthrough"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var config = PassthroughConfigReader.Read(next.Gateway.GetSection("Passthrough"), next.Errors);
        next.Add(config);
        next.Add(new PassthroughRoutes(config));
        return ValueTask.CompletedTask;
    }
}
