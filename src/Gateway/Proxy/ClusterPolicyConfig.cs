
namespace Gateway.Proxy;

/// <param name="ConnectionPinned">
/// Every client connection gets its own backend connection, used by nothing else and closed with it: what
/// connection-bound authentication (NTLM, Negotiate) needs.
/// </param>
/// <param name="ActivityTimeout">How long a proxied request may go without data either way; null: YARP's (100 s), or 1 h when pinned.</param>
/// <param name="PerRequestAuthSchemes">
/// Authorization schemes, beyond the built-in per-request ones, that this pooled cluster's backends take per request
/// (an application's own "Token" scheme, say); every other scheme is refused before it reaches a shared connection.
/// </param>
internal sealed record ClusterPolicyConfig(
    string ClusterId,
    ClusterPreset Preset,
    bool ConnectionPinned,
    TimeSpan? ActivityTimeout,
    IReadOnlySet<string> PerRequestAuthSchemes,
    string ConfigPath);
