using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy;

/// <summary>
/// When the backend's response head arrived, on a request whose access-log line asks for it: the access log puts one
/// on the request, and a response transform, which runs then, before the body is copied, fills it in. A request
/// nobody asks about carries none, and costs no entry in <see cref="HttpContext.Items"/> (five objects per request).
/// </summary>
internal sealed class BackendTiming
{
    /// <summary>The timestamp (of <see cref="TimeProvider.GetTimestamp"/>); null until a backend answers.</summary>
    public long? AnsweredAt { get; private set; }

    /// <summary>Asks for the time of <paramref name="context"/>'s backend answer.</summary>
    public static BackendTiming Watch(HttpContext context)
    {
        var timing = new BackendTiming();
        context.Features.Set(timing);
        return timing;
    }

    public static ValueTask RecordAsync(ResponseTransformContext transform, TimeProvider time)
    {
        if (transform.HttpContext.Features.Get<BackendTiming>() is { } timing)
        {
            timing.AnsweredAt = time.GetTimestamp();
        }

        return ValueTask.CompletedTask;
    }
}
