using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>When the backend's response head arrived: a response transform runs then, before the body is copied.</summary>
internal static class BackendTiming
{
    private static readonly object Key = new();

    public static ValueTask RecordAsync(ResponseTransformContext transform, TimeProvider time)
    {
        transform.HttpContext.Items[Key] = time.GetTimestamp();
        return ValueTask.CompletedTask;
    }

    /// <returns>The timestamp (of <see cref="TimeProvider.GetTimestamp"/>), or null when no backend answered.</returns>
    public static long? Get(HttpContext context) => context.Items.TryGetValue(Key, out var at) ? at as long? : null;
}
