namespace Gateway.Configuration;

/// <summary>Reads <c>Gateway:Passthrough</c>: the same Routes -> ClusterId -> Clusters -> Destinations nouns as YARP.</summary>
internal static class PassthroughConfigReader
{
    public static PassthroughConfig Read(IConfigurationSection section, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "Routes", "Clusters");
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

        return new PassthroughConfig(routes, clusters);
    }

    private static PassthroughRouteConfig? ReadRoute(
        IConfigurationSection route,
        Dictionary<string, PassthroughClusterConfig> clusters,
        Dictionary<HostPattern, string> hostOwners,
        ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(route, errors, "Hosts", "ClusterId");
        var hosts = new List<HostPattern>();
        foreach (var entry in route.GetSection("Hosts").GetChildren())
        {
            if (!HostPattern.TryParse(entry.Value, out var host, out var error))
            {
                errors.Add(entry.Path, error!);
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

        if (!route.GetSection("Hosts").GetChildren().Any())
        {
            errors.Add(route.Path + ":Hosts", "a passthrough route needs at least one host (SNI) to match");
        }

        var clusterId = ConfigReader.ReadString(route, "ClusterId");
        if (clusterId is null)
        {
            errors.Add(route.Path + ":ClusterId", "a passthrough route needs a ClusterId");
            return null;
        }

        if (!clusters.ContainsKey(clusterId))
        {
            var known = clusters.Count == 0 ? "none are defined" : "defined: " + string.Join(", ", clusters.Keys.Order(StringComparer.Ordinal));
            errors.Add(route.Path + ":ClusterId", $"cluster '{clusterId}' does not exist under Gateway:Passthrough:Clusters ({known})");
            return null;
        }

        return new PassthroughRouteConfig(route.Key, hosts, clusterId);
    }

    private static PassthroughClusterConfig ReadCluster(IConfigurationSection cluster, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(cluster, errors, "Destinations", "ConnectTimeout", "IdleTimeout");
        var destinations = new List<DestinationConfig>();
        foreach (var destination in cluster.GetSection("Destinations").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(destination, errors, "Address");
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
                destinations.Add(new DestinationConfig(destination.Key, address));
            }
        }

        if (!cluster.GetSection("Destinations").GetChildren().Any())
        {
            errors.Add(cluster.Path + ":Destinations", "a cluster needs at least one destination");
        }

        return new PassthroughClusterConfig(
            cluster.Key,
            destinations,
            ConfigReader.ReadDuration(cluster, "ConnectTimeout", TimeSpan.FromSeconds(10), errors, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10)),
            ConfigReader.ReadDuration(cluster, "IdleTimeout", TimeSpan.FromHours(1), errors, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)));
    }
}
