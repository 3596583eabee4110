using System.Collections.Concurrent;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Tells when YARP has actually applied a config revision. YARP applies a provider's update on its own
/// schedule; the reloader waits for it so that L7 is serving a generation before L4 switches to it.
/// </summary>
internal sealed class ProxyConfigApplied : IConfigChangeListener
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Exception?>> _waiting = new();

    /// <summary>Registers interest in <paramref name="revision"/>; call before handing YARP that revision.</summary>
    public Task<Exception?> WaitFor(string revision) =>
        _waiting.GetOrAdd(revision, _ => new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs) => Complete(proxyConfigs, null);

    public void ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception) => Complete(proxyConfigs, exception);

    public void ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    public void ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    private void Complete(IReadOnlyList<IProxyConfig> configs, Exception? error)
    {
        foreach (var config in configs)
        {
            if (config.RevisionId is { } revision && _waiting.TryRemove(revision, out var waiter))
            {
                waiter.TrySetResult(error);
            }
        }
    }
}
