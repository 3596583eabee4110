using Yarp.ReverseProxy.Transforms;

namespace Gateway.Proxy.Pinning;

internal static class PinningServices
{
    /// <summary>Connection-bound authentication: NTLM/Negotiate refused on pooled clusters, one backend connection per client connection on pinned ones.</summary>
    public static IReverseProxyBuilder AddConnectionPinning(this IReverseProxyBuilder builder)
    {
        builder.Services.AddSingleton<NtlmGuard>();
        builder.Services.AddSingleton<PinnedForwarder>();
        return builder.AddTransforms(transforms =>
            transforms.AddResponseTransform(transforms.Services.GetRequiredService<NtlmGuard>().CheckResponseAsync));
    }
}
