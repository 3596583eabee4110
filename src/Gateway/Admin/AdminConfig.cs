using System.Net;
using Gateway.Configuration;

namespace Gateway.Admin;

/// <param name="Listen">The admin listener (Gateway:Listeners:Admin); null when switched off.</param>
/// <param name="Users">User name -> PBKDF2 hash. Empty: no authentication, and then the listener must be loopback.</param>
/// <param name="AllowedNetworks">Client networks allowed in; empty: any.</param>
internal sealed record AdminConfig(HostPort? Listen, IReadOnlyDictionary<string, string> Users, IReadOnlyList<IPNetwork> AllowedNetworks);
