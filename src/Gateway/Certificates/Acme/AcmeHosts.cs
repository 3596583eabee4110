using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <summary>A generation's <c>Gateway:Acme:Hosts</c>, compiled: hosts Gateway terminates though no route names them.</summary>
internal sealed class AcmeHosts(AcmeConfig config)
{
    private readonly HostTable<string> _hosts = new(config.Hosts.Select(host => KeyValuePair.Create(host, host.Value)));

    public bool Contains(string? host) => _hosts.Match(host) is not null;
}
