using Gateway.Configuration;
using Gateway.Passthrough;

namespace Gateway.Proxy;

/// <summary>
/// A host is either passthrough or terminated, never both: the router sends a passthrough SNI to its
/// backend before TLS, so an L7 route for the same name could never be reached.
/// </summary>
internal static class HostOwnership
{
    public static void Check(PassthroughConfig passthrough, YarpConfig proxy, ConfigErrors errors)
    {
        var owners = new List<KeyValuePair<HostPattern, string>>();
        foreach (var route in passthrough.Routes.Values)
        {
            owners.AddRange(route.Hosts.Select(host => KeyValuePair.Create(host, route.RouteId)));
        }

        if (owners.Count == 0)
        {
            return;
        }

        var table = new HostTable<string>(owners);
        var wildcards = owners.Where(o => o.Key.IsWildcard).ToDictionary(o => o.Key, o => o.Value);
        foreach (var route in proxy.Routes)
        {
            var hosts = route.Match.Hosts ?? [];
            for (var i = 0; i < hosts.Count; i++)
            {
                if (!HostPattern.TryParse(HostPattern.WithoutPort(hosts[i]), out var host, out _))
                {
                    continue; // YARP's validator has already reported it
                }

                var owner = host.IsWildcard ? wildcards.GetValueOrDefault(host) : table.Match(host.Value);
                if (owner is not null)
                {
                    errors.Add($"{ProxyConfigReader.SectionName}:Routes:{route.RouteId}:Match:Hosts:{i}",
                        $"host '{hosts[i]}' is also routed by passthrough route Gateway:Passthrough:Routes:{owner}; a host is either passthrough (L4) or terminated (L7), not both");
                }
            }
        }
    }
}
