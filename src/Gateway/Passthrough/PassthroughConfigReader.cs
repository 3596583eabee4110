using Gateway.Configuration;
using Gateway.Core;
using Gateway.ProxyProtocol;

namespace Gateway.Passthrough;

/// <summary>Reads <c>Gateway:Passthrough</c>: the same Routes -> ClusterId -> Clusters -> Destinations nouns as YARP.</summary>
internal static class PassthroughConfigReader
{
    public static PassthroughConfig Read(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Routes", "Clusters", "Streams");
        var clusters = new Dictionary<string, PassthroughClusterConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in section.GetSection("Clusters").GetChildren())
        {
            clusters[cluster.Key] = ReadCluster(cluster, errors);
        }

        var routes = new Dictionary<string, PassthroughRouteConfig>(StringComparer.OrdinalIgnoreCase);
        var hostOwners = new Dictionary<HostPattern, string>();
        foreach (var route in section.GetSection("Routes").GetChildren())
        {
            if (ReadRoute(route, clusters, hostOwners, errors) is { } config)
            {
                routes[route.Key] = config;
            }
        }

        var streams = new Dictionary<string, StreamConfig>(StringComparer.OrdinalIgnoreCase);
        foreach (var stream in section.GetSection("Streams").GetChildren())
        {
            if (section.GetSection("Routes").GetChildren().Any(r => r.Key.Equals(stream.Key, StringComparison.OrdinalIgnoreCase)))
            {
                // Routes and streams share one id space: tunnels, counters and metric labels are keyed by it.
                errors.Add(stream.Path, $"'{stream.Key}' is also a passthrough route id; give the stream another name");
            }
            else if (ReadStream(stream, clusters, errors) is { } config)
            {
                streams[stream.Key] = config;
            }
        }

        return new PassthroughConfig(routes, clusters, streams);
    }

    private static StreamConfig? ReadStream(IConfigurationSection stream, Dictionary<string, PassthroughClusterConfig> clusters, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(stream, errors, "Listen", "ClusterId");
        var listen = ListenAddress.Read(stream, "Listen", null, required: true, errors);
        var clusterId = RequireCluster(stream, clusters, errors);
        return listen is null || clusterId is null ? null : new StreamConfig(stream.Key, listen, clusterId);
    }

    private static string? RequireCluster(IConfigurationSection owner, Dictionary<string, PassthroughClusterConfig> clusters, ConfigErrors errors)
    {
        var clusterId = ConfigReader.ReadString(owner, "ClusterId");
        if (clusterId is null)
        {
            errors.Add(owner.Path + ":ClusterId", "a ClusterId is required");
            return null;
        }

        if (!clusters.ContainsKey(clusterId))
        {
            var known = clusters.Count == 0 ? "none are defined" : "defined: " + string.Join(", ", clusters.Keys.Order(StringComparer.Ordinal));
            errors.Add(owner.Path + ":ClusterId", $"cluster '{clusterId}' does not exist under Gateway:Passthrough:Clusters ({known})");
            return null;
        }

        return clusterId;
    }

    private static PassthroughRouteConfig? ReadRoute(
        IConfigurationSection route,
        Dictionary<string, PassthroughClusterConfig> clusters,
        Dictionary<HostPattern, string> hostOwners,
        ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(route, errors, "Hosts", "ClusterId", "Access");
        var hosts = new List<HostPattern>();
        foreach (var entry in ConfigReader.Items(route.GetSection("Hosts")))
        {
            if (!HostPattern.TryParse(entry.Value, out var host, out var error))
            {
                errors.Add(entry.Path, error!);
            }
            else if (System.Net.IPAddress.TryParse(host.Value, out _))
            {
                // RFC 6066 forbids an address in SNI; the router takes a hello naming one as malformed, never tunnelled.
                errors.Add(entry.Path, $"'{host}' is an IP address, and a client never sends one as SNI: no connection would reach this route; write the host name clients connect to");
            }
            else if (!hostOwners.TryAdd(host, route.Key))
            {
                errors.Add(entry.Path, $"host '{host}' is already routed by passthrough route '{hostOwners[host]}'");
            }
            else
            {
                hosts.Add(host);
            }
        }

        // A value where the list belongs ("Hosts": "mail.example") is the shape check's to report, with what to write.
        if (!route.GetSection("Hosts").GetChildren().Any() && !ConfigReader.HoldsValue(route.GetSection("Hosts")))
        {
            errors.Add(route.Path + ":Hosts", "a passthrough route needs at least one host (SNI) to match");
        }

        var clusterId = RequireCluster(route, clusters, errors);
        var access = AccessRules.Read(route.GetSection("Access"), errors);
        return clusterId is null ? null : new PassthroughRouteConfig(route.Key, hosts, clusterId, access);
    }

    private static PassthroughClusterConfig ReadCluster(IConfigurationSection cluster, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(cluster, errors, "Destinations", "ConnectTimeout", "IdleTimeout", "LoadBalancingPolicy", "SessionAffinity", "HealthCheck", "Retries", "MaxConnections", "ProxyProtocol");
        var destinations = new List<PassthroughDestinationConfig>();
        foreach (var destination in cluster.GetSection("Destinations").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(destination, errors, "Address", "State");
            var state = ConfigReader.ReadEnum(destination, "State", DestinationAdminState.Active, errors);
            if (!HostPort.TryParse(destination["Address"], out var address, out var error))
            {
                errors.Add(destination.Path + ":Address", error!);
            }
            else if (address!.Port == 0)
            {
                errors.Add(destination.Path + ":Address", "port 0 cannot be dialed");
            }
            else
            {
                destinations.Add(new PassthroughDestinationConfig(destination.Key, address, state));
            }
        }

        if (!cluster.GetSection("Destinations").GetChildren().Any() && !ConfigReader.HoldsValue(cluster.GetSection("Destinations")))
        {
            errors.Add(cluster.Path + ":Destinations", "a cluster needs at least one destination");
        }

        var policy = ConfigReader.ReadString(cluster, "LoadBalancingPolicy") ?? BalancingPolicies.RoundRobin;
        var knownPolicy = BalancingPolicies.All.FirstOrDefault(p => p.Equals(policy, StringComparison.OrdinalIgnoreCase));
        if (knownPolicy is null)
        {
            errors.Add(cluster.Path + ":LoadBalancingPolicy", $"'{policy}' is not one of: {string.Join(", ", BalancingPolicies.All)}");
        }

        var maxConnections = ConfigReader.ReadString(cluster, "MaxConnections") is null
            ? (int?)null
            : ConfigReader.ReadInt(cluster, "MaxConnections", 0, 1, int.MaxValue, errors);

        return new PassthroughClusterConfig(
            cluster.Key,
            destinations,
            ConfigReader.ReadDuration(cluster, "ConnectTimeout", TimeSpan.FromSeconds(10), errors, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)),
            ConfigReader.ReadDuration(cluster, "IdleTimeout", TimeSpan.FromHours(1), errors, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
            knownPolicy ?? BalancingPolicies.RoundRobin,
            ReadAffinity(cluster.GetSection("SessionAffinity"), errors),
            ReadHealthCheck(cluster.GetSection("HealthCheck"), errors),
            ConfigReader.ReadInt(cluster, "Retries", 1, 0, 100, errors),
            maxConnections,
            ConfigReader.ReadEnum(cluster, "ProxyProtocol", ProxyProtocolVersion.None, errors));
    }

    private static SourceIpAffinityConfig? ReadAffinity(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Policy", "Expiry", "MaxEntries");
        if (!section.GetChildren().Any())
        {
            return null;
        }

        var policy = ConfigReader.ReadString(section, "Policy") ?? "SourceIp";
        var expiry = ConfigReader.ReadDuration(section, "Expiry", TimeSpan.FromMinutes(30), errors, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        var maxEntries = ConfigReader.ReadInt(section, "MaxEntries", 50_000, 1, 10_000_000, errors);
        if (policy.Equals("None", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!policy.Equals("SourceIp", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(section.Path + ":Policy", $"'{policy}' is not one of: SourceIp, None");
            return null;
        }

        return new SourceIpAffinityConfig(expiry, maxEntries);
    }

    private static PassthroughHealthCheckConfig ReadHealthCheck(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Active");
        var active = section.GetSection("Active");
        ConfigReader.RejectUnknownKeys(active, errors, "Enabled", "Interval", "Timeout", "Rise", "Fall", "Mode");
        var defaults = PassthroughHealthCheckConfig.Disabled;
        var interval = ConfigReader.ReadDuration(active, "Interval", defaults.Interval, errors, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        return new PassthroughHealthCheckConfig(
            ConfigReader.ReadBool(active, "Enabled", false, errors),
            interval,
            // HAProxy: "timeout check" defaults to the interval.
            ConfigReader.ReadDuration(active, "Timeout", interval, errors, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
            ConfigReader.ReadInt(active, "Rise", defaults.Rise, 1, 100, errors),
            ConfigReader.ReadInt(active, "Fall", defaults.Fall, 1, 100, errors),
            ConfigReader.ReadEnum(active, "Mode", HealthCheckMode.Tcp, errors));
    }
}
