using System.Globalization;
using Microsoft.AspNetCore.Routing.Matching;

namespace Gateway.Proxy;

/// <summary>
/// ASP.NET Core's <see cref="HostMatcherPolicy"/> with its two per-host scans replaced by lookups: YARP gives every
/// route's hosts to routing, and the stock policy compares every endpoint with every host when the route table is
/// built (10,000 routes with a host each: 100 million comparisons, 10 s on 2 cores, at start and on every reload that
/// changes a route) and tries every host in turn on every request. The edges built and the host a request is sent on
/// to are the stock policy's; where it leaves the choice to the order of an unstable sort (two wildcards that both
/// match, two spellings of one host) this takes the longest wildcard and the first spelling. Endpoints that are only
/// resolved per request (dynamic ones, which Gateway has none of) are left to the stock policy.
/// </summary>
internal sealed class HostTableMatcherPolicy : MatcherPolicy, IEndpointComparerPolicy, INodeBuilderPolicy, IEndpointSelectorPolicy
{
    private readonly HostMatcherPolicy _stock = new();

    // Where the stock policy runs: after HTTP methods, before the rest.
    public override int Order => _stock.Order;

    public IComparer<Endpoint> Comparer => _stock.Comparer;

    bool INodeBuilderPolicy.AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => ((INodeBuilderPolicy)_stock).AppliesToEndpoints(endpoints);

    bool IEndpointSelectorPolicy.AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => ((IEndpointSelectorPolicy)_stock).AppliesToEndpoints(endpoints);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates) => _stock.ApplyAsync(httpContext, candidates);

    /// <summary>
    /// One edge per distinct host key. An endpoint without hosts is on every edge; an endpoint with hosts is on the
    /// edge of each of its keys and on every wildcard edge with the same port whose suffix covers a wildcard of its
    /// own ("*.example" takes "*.a.example"'s endpoints). Edges and the endpoints on each keep the endpoints' order.
    /// </summary>
    public IReadOnlyList<PolicyNodeEdge> GetEdges(IReadOnlyList<Endpoint> endpoints)
    {
        var keys = new HostKey[endpoints.Count][];
        var edges = new Dictionary<HostKey, List<Endpoint>>();
        var order = new List<HostKey>();
        var wildcards = new Dictionary<string, List<HostKey>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < endpoints.Count; i++)
        {
            keys[i] = KeysOf(endpoints[i]);
            foreach (var key in keys[i].Length == 0 ? [HostKey.Any] : keys[i])
            {
                if (edges.TryAdd(key, []))
                {
                    order.Add(key);
                    if (key.IsWildcard)
                    {
                        wildcards.TryAdd(key.Suffix, []);
                        wildcards[key.Suffix].Add(key);
                    }
                }
            }
        }

        var wildcardLookup = wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            if (keys[i].Length == 0)
            {
                foreach (var list in edges.Values)
                {
                    list.Add(endpoint);
                }

                continue;
            }

            foreach (var key in keys[i])
            {
                AddOnce(edges[key], endpoint);
                if (!key.IsWildcard)
                {
                    continue;
                }

                // Every wildcard edge whose suffix ends this wildcard: its own, and the ones at each dot after it.
                for (var dot = key.Host.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = key.Host.IndexOf('.', dot + 1))
                {
                    if (wildcardLookup.TryGetValue(key.Host.AsSpan(dot), out var covering))
                    {
                        foreach (var edge in covering.Where(e => e.Port == key.Port))
                        {
                            AddOnce(edges[edge], endpoint);
                        }
                    }
                }
            }
        }

        return [.. order.Select(key => new PolicyNodeEdge(key, edges[key]))];
    }

    public PolicyJumpTable BuildJumpTable(int exitDestination, IReadOnlyList<PolicyJumpTableEdge> edges) =>
        new HostJumpTable(exitDestination, edges);

    private static void AddOnce(List<Endpoint> list, Endpoint endpoint)
    {
        if (list.Count == 0 || !ReferenceEquals(list[^1], endpoint))
        {
            list.Add(endpoint);
        }
    }

    private static HostKey[] KeysOf(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IHostMetadata>()?.Hosts is { Count: > 0 } hosts ? [.. hosts.Select(HostKey.Parse)] : [];

    /// <summary>"host", "host:port", "host:*", "*.suffix", "*", "*:port": the stock policy's reading, and its error for anything else.</summary>
    internal sealed record HostKey(string Host, int? Port)
    {
        public static readonly HostKey Any = new("*", null);

        public bool IsWildcard => Host.StartsWith("*.", StringComparison.Ordinal);

        /// <summary>What a wildcard requires a name to end with, its leading dot included.</summary>
        public string Suffix => Host[1..];

        public static HostKey Parse(string host)
        {
            var parts = host.Split(':');
            if (parts[0].Length > 0 && parts.Length == 1)
            {
                return new HostKey(parts[0], null);
            }

            if (parts[0].Length > 0 && parts.Length == 2)
            {
                if (int.TryParse(parts[1], CultureInfo.InvariantCulture, out var port))
                {
                    return new HostKey(parts[0], port);
                }

                if (parts[1] == "*")
                {
                    return new HostKey(parts[0], null);
                }
            }

            throw new InvalidOperationException($"Could not parse host: {host}");
        }

        public override string ToString() => $"{Host}:{Port?.ToString(CultureInfo.InvariantCulture) ?? "*"}";
    }

    /// <summary>
    /// The stock policy's precedence - exact host and port, exact host, wildcard and port, wildcard, port alone, any
    /// host - each step a lookup instead of a scan of every host.
    /// </summary>
    private sealed class HostJumpTable : PolicyJumpTable
    {
        private readonly int _exit;
        private readonly Dictionary<string, Destinations> _exact = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Destinations> _wildcards = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Destinations>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;
        private readonly Dictionary<string, Destinations>.AlternateLookup<ReadOnlySpan<char>> _wildcardLookup;
        private readonly Destinations _anyHost = new();

        public HostJumpTable(int exit, IReadOnlyList<PolicyJumpTableEdge> edges)
        {
            _exit = exit;
            foreach (var edge in edges)
            {
                var key = (HostKey)edge.State;
                var destinations = key.Host == "*" ? _anyHost
                    : key.IsWildcard ? Get(_wildcards, key.Suffix)
                    : Get(_exact, key.Host);
                destinations.Add(key.Port, edge.Destination);
            }

            _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
            _wildcardLookup = _wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public override int GetDestination(HttpContext httpContext)
        {
            var (host, port) = HostAndPort(httpContext.Request);
            if (_exactLookup.TryGetValue(host, out var exact) && exact.Find(port) is { } exactDestination)
            {
                return exactDestination;
            }

            // As the stock policy: a wildcard with the request's port comes before any without.
            if (_wildcards.Count > 0)
            {
                if (port is { } requestPort && FindWildcard(host, d => d.PortDestination(requestPort)) is { } withPort)
                {
                    return withPort;
                }

                if (FindWildcard(host, d => d.AnyPort) is { } anyPort)
                {
                    return anyPort;
                }
            }

            return _anyHost.Find(port) ?? _exit;
        }

        /// <summary>The longest suffix first: "a.b.example" tries ".b.example", then ".example" (and ".example" itself, as the stock policy does).</summary>
        private int? FindWildcard(string host, Func<Destinations, int?> pick)
        {
            for (var dot = host.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = host.IndexOf('.', dot + 1))
            {
                if (_wildcardLookup.TryGetValue(host.AsSpan(dot), out var destinations) && pick(destinations) is { } destination)
                {
                    return destination;
                }
            }

            return null;
        }

        private static Destinations Get(Dictionary<string, Destinations> table, string name)
        {
            if (!table.TryGetValue(name, out var destinations))
            {
                destinations = new Destinations();
                table[name] = destinations;
            }

            return destinations;
        }

        /// <summary>The port a request is for: the Host header's, else the scheme's default, as the stock policy reads it.</summary>
        private static (string Host, int? Port) HostAndPort(HttpRequest request)
        {
            var host = request.Host;
            return host.Port is { } port ? (host.Host, port)
                : string.Equals(request.Scheme, "https", StringComparison.OrdinalIgnoreCase) ? (host.Host, 443)
                : string.Equals(request.Scheme, "http", StringComparison.OrdinalIgnoreCase) ? (host.Host, 80)
                : (host.Host, null);
        }
    }

    /// <summary>The destinations of one host name (or suffix): per port, and for any port. The first of two spellings wins.</summary>
    private sealed class Destinations
    {
        private Dictionary<int, int>? _ports;

        public int? AnyPort { get; private set; }

        public void Add(int? port, int destination)
        {
            if (port is { } value)
            {
                (_ports ??= []).TryAdd(value, destination);
            }
            else
            {
                AnyPort ??= destination;
            }
        }

        public int? PortDestination(int port) => _ports is not null && _ports.TryGetValue(port, out var destination) ? destination : null;

        public int? Find(int? port) => (port is { } value ? PortDestination(value) : null) ?? AnyPort;
    }
}
