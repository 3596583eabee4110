using Gateway.Configuration;

namespace Gateway.Admin;

/// <summary>Reads <c>Gateway:Admin</c> and the admin listener's address.</summary>
internal sealed class AdminFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Admin"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        next.Add(AdminConfigReader.Read(next.Gateway, next.Errors));
        return ValueTask.CompletedTask;
    }
}
