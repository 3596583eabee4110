using System.Text;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Capabilities depend on each other one way only. The graph is the compiled assembly's (see
/// <see cref="NamespaceGraph"/>): base types, interfaces, fields, signatures, attributes, locals and every type,
/// method and field a method body touches.
/// </summary>
public sealed class DependencyTests
{
    /// <summary>
    /// Lowest layer first. A namespace may use any namespace of a lower layer and none of its own layer or above.
    /// A namespace the assembly has and this table does not fails the test; an entry the assembly no longer has is
    /// skipped. docs/architecture.md draws the same layers.
    /// </summary>
    private static readonly string[][] Layers =
    [
        /* 0 */ ["Gateway.Diagnostics"],

        // Building blocks: the socket engine's contract, configuration reading and generations, instruments.
        /* 1 */ ["Gateway.Sockets", "Gateway.Configuration", "Gateway.Metrics"],

        // The epoll engine, then the core every capability shares (the client connection, listeners, the engine
        // chosen, the dialer, passwords).
        /* 2 */ ["Gateway.Sockets.Epoll"],
        /* 3 */ ["Gateway.Core"],

        // Capabilities, each above what it reads.
        /* 4 */ ["Gateway.Sni", "Gateway.Certificates"],
        /* 5 */ ["Gateway.ProxyProtocol"],
        /* 6 */ ["Gateway.Passthrough"],
        /* 7 */ ["Gateway.Passthrough.Balancing", "Gateway.Limits", "Gateway.Proxy"],
        /* 8 */ ["Gateway.Passthrough.Health", "Gateway.Certificates.Acme", "Gateway.Proxy.Pinning", "Gateway.Access", "Gateway.AccessLog"],
        /* 9 */ ["Gateway.Tunnel"],

        // The listener's flow (accept, PROXY header, limits, ClientHello, route, tunnel or terminate) and the reload
        // orchestrator, over the capabilities.
        /* 10 */ ["Gateway.Edge", "Gateway.Reload"],
        /* 11 */ ["Gateway.Admin"],

        // The composition root.
        /* 12 */ ["Gateway.Hosting"],
    ];

    /// <summary>Type pairs shown for each offending edge.</summary>
    private const int Examples = 5;

    /// <summary>Type pairs shown for each edge of a cycle.</summary>
    private const int CycleExamples = 3;

    /// <summary>Cycles shown for each strongly connected component.</summary>
    private const int CyclesShown = 15;

    [Fact]
    public void No_namespace_cycles()
    {
        var graph = NamespaceGraph.Gateway;
        var cycles = StronglyConnected(graph).Where(component => component.Count > 1).ToList();
        if (cycles.Count == 0)
        {
            return;
        }

        var report = new StringBuilder();
        report.Append(cycles.Count).Append(cycles.Count == 1 ? " namespace cycle" : " namespace cycles").AppendLine(" (each a set of namespaces that reach one another):");
        foreach (var members in cycles)
        {
            var inside = new HashSet<string>(members, StringComparer.Ordinal);
            report.AppendLine().Append("cycle of ").Append(members.Count).Append(" namespaces: ").AppendLine(string.Join(", ", members));
            var edges = graph.Edges.Keys.Where(edge => inside.Contains(edge.From) && inside.Contains(edge.To)).Order().ToList();

            // Every edge of the component lies on a cycle; the shortest through each, each cycle once.
            var shortest = edges
                .Select(edge => ShortestPath(graph, edge.To, edge.From, inside).Prepend(edge.From).ToList())
                .Select(Rotated)
                .DistinctBy(cycle => string.Join(" ", cycle), StringComparer.Ordinal)
                .OrderBy(cycle => cycle.Count)
                .ThenBy(cycle => string.Join(" ", cycle), StringComparer.Ordinal)
                .ToList();
            report.Append("  ").Append(shortest.Count).AppendLine(" distinct shortest cycles through its edges, shortest first:");
            foreach (var cycle in shortest.Take(CyclesShown))
            {
                report.Append("    ").AppendLine(string.Join(" -> ", cycle.Append(cycle[0])));
            }

            if (shortest.Count > CyclesShown)
            {
                report.Append("    ... and ").Append(shortest.Count - CyclesShown).AppendLine(" more");
            }

            report.AppendLine("  the edges, with the types that make them:");
            foreach (var edge in edges)
            {
                report.Append("    ").Append(edge.From).Append(" -> ").Append(edge.To).Append(" (").Append(Pairs(graph.Edges[edge].Count)).AppendLine(")");
                foreach (var line in graph.Examples(edge, CycleExamples, "        "))
                {
                    report.AppendLine(line);
                }
            }
        }

        Assert.Fail(report.ToString());
    }

    [Fact]
    public void Layers_point_down()
    {
        var graph = NamespaceGraph.Gateway;
        var layerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var layer = 0; layer < Layers.Length; layer++)
        {
            foreach (var ns in Layers[layer])
            {
                Assert.True(layerOf.TryAdd(ns, layer), $"{ns} is in the layer table twice");
            }
        }

        var report = new StringBuilder();
        var missing = graph.Namespaces.Where(ns => !layerOf.ContainsKey(ns)).ToList();
        if (missing.Count > 0)
        {
            report.AppendLine("namespaces missing from the layer table (add each to the layer table in DependencyTests):");
            foreach (var ns in missing)
            {
                report.Append("  ").AppendLine(ns);
            }
        }

        var upward = graph.Edges.Keys
            .Where(edge => layerOf.TryGetValue(edge.From, out var from) && layerOf.TryGetValue(edge.To, out var to) && to >= from)
            .Order()
            .ToList();
        if (upward.Count > 0)
        {
            if (report.Length > 0)
            {
                report.AppendLine();
            }

            report.Append(upward.Count).AppendLine(" dependencies on the same or a higher layer (a namespace may use only lower layers):");
            foreach (var edge in upward)
            {
                var (from, to) = (layerOf[edge.From], layerOf[edge.To]);
                report.Append("  ").Append(edge.From).Append(" (").Append(from).Append(") -> ").Append(edge.To).Append(" (").Append(to)
                    .Append(from == to ? ", same layer" : "").Append("): ").AppendLine(Pairs(graph.Edges[edge].Count));
                foreach (var line in graph.Examples(edge, Examples, "      "))
                {
                    report.AppendLine(line);
                }
            }
        }

        Assert.True(report.Length == 0, report.ToString());
    }

    [Fact]
    public void The_graph_sees_the_assembly()
    {
        // A walker that read nothing would pass both rules above: make sure it sees known uses.
        var graph = NamespaceGraph.Gateway;
        Assert.Contains("Gateway.Hosting", graph.Namespaces);
        Assert.Contains(graph.Edges.Keys, edge => edge.From == "Gateway.Hosting");
        Assert.True(graph.Edges.Count > 20, $"only {graph.Edges.Count} namespace dependencies found");
    }

    private static string Pairs(int count) => count == 1 ? "1 type pair" : $"{count} type pairs";

    /// <summary>Tarjan's strongly connected components, each sorted, in order of their first member.</summary>
    private static List<List<string>> StronglyConnected(NamespaceGraph graph)
    {
        var next = graph.Edges.Keys.ToLookup(edge => edge.From, edge => edge.To);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var components = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var target in next[node].Order(StringComparer.Ordinal))
            {
                if (!index.TryGetValue(target, out var visited))
                {
                    Visit(target);
                    low[node] = Math.Min(low[node], low[target]);
                }
                else if (onStack.Contains(target))
                {
                    low[node] = Math.Min(low[node], visited);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);
                component.Sort(StringComparer.Ordinal);
                components.Add(component);
            }
        }

        var nodes = graph.Namespaces.Concat(graph.Edges.Keys.Select(edge => edge.To)).Distinct().Order(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return [.. components.OrderBy(component => component[0], StringComparer.Ordinal)];
    }

    /// <summary>A shortest path from <paramref name="from"/> to <paramref name="to"/> inside one component, both ends included.</summary>
    private static List<string> ShortestPath(NamespaceGraph graph, string from, string to, HashSet<string> inside)
    {
        var next = graph.Edges.Keys.ToLookup(edge => edge.From, edge => edge.To);
        var parent = new Dictionary<string, string>(StringComparer.Ordinal) { [from] = from };
        var queue = new Queue<string>([from]);
        while (queue.Count > 0 && !parent.ContainsKey(to))
        {
            var node = queue.Dequeue();
            foreach (var target in next[node].Where(inside.Contains).Order(StringComparer.Ordinal))
            {
                if (parent.TryAdd(target, node))
                {
                    queue.Enqueue(target);
                }
            }
        }

        var path = new List<string> { to };
        for (var step = to; step != from; step = parent[step])
        {
            path.Add(parent[step]);
        }

        path.Reverse();
        return path;
    }

    /// <summary>The cycle written from its least member, without repeating it at the end.</summary>
    private static List<string> Rotated(List<string> cycle)
    {
        var nodes = cycle.Take(cycle.Count - 1).ToList();
        var first = nodes.IndexOf(nodes.Min(StringComparer.Ordinal)!);
        return [.. nodes.Skip(first), .. nodes.Take(first)];
    }
}
