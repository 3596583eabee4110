using Gateway.Configuration;

namespace Gateway.Core;

/// <summary>Reads <c>Gateway:Listeners</c> (the admin address is the admin capability's).</summary>
internal sealed class ListenersFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["Listeners"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var errors = next.Errors;
        var section = next.Gateway.GetSection("Listeners");
        ConfigReader.RejectUnknownKeys(section, errors, "Https", "Http", "HttpsPublicPort", "Admin");
        var https = ListenAddress.Read(section, "Https", "127.0.0.1:8443", required: true, errors);
        var http = ListenAddress.Read(section, "Http", "127.0.0.1:8080", required: false, errors);
        int? publicPort = ConfigReader.ReadString(section, "HttpsPublicPort") is null
            ? null
            : ConfigReader.ReadInt(section, "HttpsPublicPort", 443, 1, 65535, errors);

        if (https is not null)
        {
            next.Add(new ListenersConfig(https, http, publicPort));
        }

        return ValueTask.CompletedTask;
    }
}
