namespace Gateway.Passthrough;

internal sealed record PassthroughConfig(
    IReadOnlyDictionary<string, PassthroughRouteConfig> Routes,
    IReadOnlyDictionary<string, PassthroughClusterConfig> Clusters,
    IReadOnlyDictionary<string, StreamConfig> Streams);
