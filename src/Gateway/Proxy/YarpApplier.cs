using System.Globalization;
using Gateway.Configuration;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// Hands a generation's routes and clusters to YARP and waits until YARP serves them, so L7 serves a generation
/// before L4 switches to it. A failure (which validation should make impossible) leaves both on the running one.
/// </summary>
internal sealed class YarpApplier(InMemoryConfigProvider yarp, ProxyConfigApplied applied, TimeProvider time) : IGenerationApplier
{
    /// <summary>YARP applies within milliseconds; this bounds a wait that should never be reached.</summary>
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);

    public async ValueTask<ConfigError?> ApplyAsync(Generation next, Generation current)
    {
        var revision = Revision(next);
        var done = applied.WaitFor(revision);
        var config = next.Get<YarpConfig>();
        yarp.Update(config.Routes, config.Clusters, revision);
        Exception? error;
        try
        {
            error = await done.WaitAsync(ApplyTimeout, time);
        }
        catch (TimeoutException e)
        {
            error = e;
        }

        return error is null ? null : new ConfigError(ProxyConfigReader.SectionName, error.Message);
    }

    public ValueTask RevertAsync(Generation current)
    {
        var config = current.Get<YarpConfig>();
        yarp.Update(config.Routes, config.Clusters, Revision(current));
        return ValueTask.CompletedTask;
    }

    public static string Revision(Generation generation) => generation.Number.ToString(CultureInfo.InvariantCulture);
}
