using System.Net;
using Gateway.Configuration;
using Gateway.Passthrough;
using Gateway.Proxy;

namespace Gateway.Certificates.Acme;

/// <summary>
/// Which certificates ACME should hold: one per YARP route (its exact <c>Match.Hosts</c>), one per redirect host
/// set, plus one per <c>Gateway:Acme:Hosts</c> entry. Hosts that another certificate source owns are left out.
/// </summary>
internal static class AcmeHostSets
{
    /// <returns>Sorted, distinct host sets, the largest first (so a smaller set is found covered by its superset's certificate).</returns>
    public static List<IReadOnlyList<string>> Compute(Generation generation, Action<string, string> skipped)
    {
        var sets = new List<IReadOnlyList<string>>();
        foreach (var route in generation.Get<YarpConfig>().Routes)
        {
            var hosts = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var raw in route.Match.Hosts ?? [])
            {
                // YARP allows a port in Match.Hosts ("app.example:443"); the certificate is for the name.
                var name = HostPattern.WithoutPort(raw);
                if (Admit(generation, name, $"route '{route.RouteId}'", skipped) is { } host)
                {
                    hosts.Add(host);
                }
            }

            if (hosts.Count > 0)
            {
                sets.Add([.. hosts]);
            }
        }

        foreach (var redirect in generation.Get<ProxyPoliciesConfig>().Redirects.Values)
        {
            var hosts = redirect.Hosts.Select(h => Admit(generation, h.Value, $"redirect '{redirect.RedirectId}'", skipped)).OfType<string>().Order(StringComparer.Ordinal).ToList();
            if (hosts.Count > 0)
            {
                sets.Add(hosts);
            }
        }

        foreach (var host in generation.Get<AcmeConfig>().Hosts)
        {
            if (Admit(generation, host.Value, "Gateway:Acme:Hosts", skipped) is { } admitted)
            {
                sets.Add([admitted]);
            }
        }

        return [.. sets.DistinctBy(s => string.Join(",", s)).OrderByDescending(s => s.Count)];
    }

    private static string? Admit(Generation generation, string raw, string source, Action<string, string> skipped)
    {
        if (!HostPattern.TryParse(raw, out var host, out _))
        {
            return null;
        }

        string? reason =
            host.IsWildcard && generation.Get<AcmeConfig>().Dns is null ? "a wildcard needs the dns-01 challenge, which needs Gateway:Acme:Dns; set it up, or configure its certificate under Gateway:Tls:Certificates"
            : IPAddress.TryParse(host.Value, out _) ? "an IP address, not a DNS name"
            : !host.Value.Contains('.', StringComparison.Ordinal) ? "not a fully qualified name"
            : generation.Get<CertificateSet>().Match(host.Value) is not null ? "its certificate is configured under Gateway:Tls:Certificates"
            : generation.Get<PassthroughRoutes>().Match(host.Value) is not null ? "a passthrough host: its backend holds its certificate"
            : null;
        if (reason is not null)
        {
            skipped(host.Value + " (" + source + ")", reason);
            return null;
        }

        return host.Value;
    }
}
