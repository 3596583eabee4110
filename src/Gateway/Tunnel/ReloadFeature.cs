using Gateway.Configuration;

namespace Gateway.Tunnel;

/// <summary>Reads <c>Gateway:Reload</c>: what a reload does to the tunnels of a passthrough route it removed.</summary>
internal sealed class ReloadFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Reload"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var reload = next.Gateway.GetSection("Reload");
        ConfigReader.RejectUnknownKeys(reload, next.Errors, "CloseRemovedAfter");
        next.Add(new ReloadConfig(ConfigReader.ReadOptionalDuration(reload, "CloseRemovedAfter", next.Errors, TimeSpan.Zero, TimeSpan.FromDays(7))));
        return ValueTask.CompletedTask;
    }
}
