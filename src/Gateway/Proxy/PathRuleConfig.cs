using System.Net;

namespace Gateway.Proxy;

/// <param name="Paths">
/// Path prefixes, matched case-insensitively on segment boundaries ("/ecp" covers "/ecp/x", not "/ecpx") against every
/// <see cref="RequestPath"/> reading of the request path.
/// </param>
/// <param name="AllowedNetworks">Clients allowed on these paths; everyone else gets 403. Empty: the paths are closed to all.</param>
internal sealed record PathRuleConfig(IReadOnlyList<string> Paths, IReadOnlyList<IPNetwork> AllowedNetworks);
