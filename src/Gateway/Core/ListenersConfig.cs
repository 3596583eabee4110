using Gateway.Configuration;

namespace Gateway.Core;

/// <param name="Https">The :443 listener: ClientHello router, then passthrough or TLS termination.</param>
/// <param name="Http">The :80 listener that redirects to https; null when switched off.</param>
/// <param name="HttpsPublicPort">The port clients reach <paramref name="Https"/> on, used in redirects; null means the listener's own port.</param>
internal sealed record ListenersConfig(HostPort Https, HostPort? Http, int? HttpsPublicPort);
