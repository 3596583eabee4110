using Gateway.Configuration;

namespace Gateway.Proxy;

/// <param name="To">Absolute URL; with <paramref name="KeepPath"/> the request's path and query are appended.</param>
/// <param name="Code">301, 302, 307 or 308.</param>
internal sealed record RedirectHostConfig(string RedirectId, IReadOnlyList<HostPattern> Hosts, string To, int Code, bool KeepPath);
