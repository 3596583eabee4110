
namespace Gateway.Proxy;

internal enum ClusterPreset
{
    None,

    /// <summary>Microsoft Exchange: connection-pinned (NTLM), HTTP/1.1, hour-long requests, health on /owa/healthcheck.htm.</summary>
    Exchange,
}
