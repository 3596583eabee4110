using System.Collections.Concurrent;
using Gateway.Configuration;

namespace Gateway.Passthrough.Balancing;

/// <summary>Runtime state of every passthrough cluster, by id, kept across reloads for clusters that still exist.</summary>
internal sealed class PassthroughClusters(TimeProvider time) : IGenerationApplier
{
    private readonly ConcurrentDictionary<string, PassthroughCluster> _clusters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Raised after <see cref="Apply"/>; health checking follows it.</summary>
    public event Action? Changed;

    public ICollection<PassthroughCluster> All => _clusters.Values;

    public PassthroughCluster? Get(string clusterId) => _clusters.GetValueOrDefault(clusterId);

    public void Apply(PassthroughConfig config)
    {
        foreach (var (id, cluster) in config.Clusters)
        {
            _clusters.AddOrUpdate(id, _ => new PassthroughCluster(cluster, time), (_, state) =>
            {
                state.Update(cluster);
                return state;
            });
        }

        foreach (var id in _clusters.Keys)
        {
            if (!config.Clusters.ContainsKey(id))
            {
                _clusters.TryRemove(id, out _);
            }
        }

        Changed?.Invoke();
    }

    public ValueTask<ConfigError?> ApplyAsync(Generation next, Generation current)
    {
        Apply(next.Get<PassthroughConfig>());
        return ValueTask.FromResult<ConfigError?>(null);
    }

    public ValueTask RevertAsync(Generation current)
    {
        Apply(current.Get<PassthroughConfig>());
        return ValueTask.CompletedTask;
    }
}
