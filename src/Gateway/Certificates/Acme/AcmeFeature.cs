using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Certificates.Acme;

/// <summary>Reads <c>Gateway:Acme</c>; http-01 needs the HTTP listener, so the listeners are read first.</summary>
internal sealed class AcmeFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Acme"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var httpListener = next.Find<ListenersConfig>() is not { } listeners || listeners.Http is not null;
        var config = AcmeConfigReader.Read(next.Gateway, next.BaseDirectory, httpListener, next.Errors);
        next.Add(config);
        next.Add(new AcmeHosts(config));
        return ValueTask.CompletedTask;
    }
}
