using Gateway.Configuration;
using Gateway.Passthrough;

namespace Gateway.Proxy;

/// <summary>
/// Reads YARP's <c>ReverseProxy</c> section and <c>Gateway:Proxy</c>, checks them against each other and against
/// the passthrough hosts (read before), and compiles the L7 route policies.
/// </summary>
internal sealed class ProxyFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Proxy"];

    public IReadOnlyList<string> Sections { get; } = [ProxyConfigReader.SectionName];

    public async ValueTask ReadAsync(GenerationBuilder next)
    {
        var errors = next.Errors;
        var config = ProxyPoliciesReader.Read(next.Gateway, next.BaseDirectory, errors);
        var yarp = await ProxyConfigReader.ReadAsync(next.Configuration, errors);
        if (next.Find<PassthroughConfig>() is { } passthrough)
        {
            HostOwnership.Check(passthrough, yarp, errors);
        }

        ProxyPolicies.Check(config, yarp, next.Configuration.GetSection(ProxyConfigReader.SectionName), errors);
        yarp = ProxyPolicies.ApplyPresets(yarp, config);
        next.Add(config);
        next.Add(yarp);
        next.Add(new ProxyPolicies(config, yarp));
    }
}
