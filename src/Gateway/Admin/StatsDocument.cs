using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Limits;
using Gateway.Passthrough;
using Gateway.Passthrough.Balancing;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;
using Gateway.Tunnel;
using Yarp.ReverseProxy;

namespace Gateway.Admin;

/// <summary>Everything the stats page shows, as data: served as /stats.json and rendered as /stats.</summary>
internal sealed record StatsDocument(
    DateTimeOffset GeneratedAt,
    int ConfigGeneration,
    ReloadErrorView? LastReloadError,
    ConnectionsView Connections,
    IReadOnlyList<PassthroughRouteView> PassthroughRoutes,
    IReadOnlyList<ClusterView> Clusters,
    IReadOnlyList<ProxyRouteView> ProxyRoutes,
    IReadOnlyList<CertificateView> Certificates,
    IReadOnlyList<AcmeView> Acme,
    string AcmeInstance)
{
    public static StatsDocument Build(GenerationStore generations, PassthroughClusters clusters, TunnelHandler tunnels, ProxyStats proxy, TrafficHistory history,
        ManagedCertificates managed, AcmeCertificateManager acme, ConnectionLimiter limiter, DescriptorBudget descriptors, TimeProvider time,
        IProxyStateLookup yarp, ProxyDestinationStates proxyStates, PinnedForwarder pinned)
    {
        var generation = generations.Current;
        var passthrough = generation.Get<PassthroughConfig>();
        var active = tunnels.ActiveByRoute();
        var now = time.GetUtcNow();

        var routes = passthrough.Routes.Values
            .Select(r => (r.RouteId, Kind: "route", Hosts: r.Hosts.Select(h => h.Value).ToList(), r.ClusterId))
            .Concat(passthrough.Streams.Values.Select(s => (s.StreamId, Kind: "stream", Hosts: new List<string> { "listen " + s.Listen }, s.ClusterId)))
            .OrderBy(r => r.Item1, StringComparer.Ordinal)
            .Select(r =>
            {
                var traffic = tunnels.Traffic(r.Item1);
                return new PassthroughRouteView(r.Item1, r.Kind, r.Hosts, r.ClusterId, active.GetValueOrDefault(r.Item1), traffic.TunnelsOpened,
                    traffic.BytesFromClient, traffic.BytesFromBackend, history.For(r.Item1, active.GetValueOrDefault(r.Item1)));
            })
            .ToList();

        var clusterViews = clusters.All.OrderBy(c => c.ClusterId, StringComparer.Ordinal).Select(c => new ClusterView(
            c.ClusterId,
            c.Config.LoadBalancingPolicy,
            c.Config.HealthCheck.Enabled,
            c.Config.SessionAffinity is null ? null : c.Affinity.Count,
            c.ActiveConnections,
            [.. c.Destinations.Select(d => new DestinationView(
                d.DestinationId,
                d.Config.Address.ToString(),
                d.Health.Status switch { HealthStatus.Healthy => "up", HealthStatus.Unhealthy => "down", _ => "unchecked" },
                d.EffectiveState.ToString(),
                d.RuntimeState is not null,
                d.ActiveConnections,
                d.TotalConnections,
                d.Traffic.BytesFromClient,
                d.Traffic.BytesFromBackend))],
            ClusterLayers.Passthrough)).ToList();
        clusterViews.AddRange(yarp.GetClusters().OrderBy(c => c.ClusterId, StringComparer.Ordinal).Select(c =>
        {
            var config = c.Model.Config;
            var destinations = c.Destinations.Values.OrderBy(d => d.DestinationId, StringComparer.Ordinal).Select(d => new DestinationView(
                d.DestinationId,
                d.Model.Config.Address,
                StateGauges.L7Health(d),
                proxyStates.Get(c.ClusterId, d.DestinationId).ToString(),
                proxyStates.IsSet(c.ClusterId, d.DestinationId),
                StateGauges.L7InFlight(d, pinned),
                0,
                0,
                0)).ToList();
            return new ClusterView(
                c.ClusterId,
                config.LoadBalancingPolicy ?? "PowerOfTwoChoices",
                config.HealthCheck?.Active?.Enabled == true || config.HealthCheck?.Passive?.Enabled == true,
                null,
                destinations.Sum(d => d.ActiveTunnels),
                destinations,
                ClusterLayers.Proxy);
        }));

        var proxyRoutes = proxy.All
            .OrderBy(p => p.Route, StringComparer.Ordinal)
            .Select(p => new ProxyRouteView(p.Route, p.Cluster, p.Requests, p.Errors, p.Requests == 0 ? 0 : (double)p.Errors / p.Requests, p.AverageSeconds * 1000))
            .ToList();
        foreach (var route in generation.Get<YarpConfig>().Routes.Where(r => proxyRoutes.All(p => p.Route != r.RouteId)))
        {
            proxyRoutes.Add(new ProxyRouteView(route.RouteId, route.ClusterId ?? "", 0, 0, 0, 0));
        }

        var certificates = generation.Get<CertificateSet>().Certificates
            .Select(c => new CertificateView(c.Host, c.Host == "*" ? "fallback" : "file", c.Subject, c.NotAfter, (c.NotAfter - now).TotalDays))
            .Concat(managed.All.OrderBy(c => c.NotAfter).Select(c => new CertificateView(
                string.Join(", ", c.Hosts.Order(StringComparer.Ordinal)), "acme", c.Context.TargetCertificate.Subject, c.NotAfter, (c.NotAfter - now).TotalDays)))
            .ToList();
        var holders = acme.LockHolders;
        var orders = acme.Status
            .OrderBy(s => s.Hosts[0], StringComparer.Ordinal)
            .Select(s =>
            {
                var serving = managed.All.Where(c => c.Covers(s.Hosts)).MaxBy(c => c.NotAfter);
                var held = holders.FirstOrDefault(h => h.Key == AcmeStorage.FileName(s.Hosts)) ?? (s.Ordering ? s.Lock : null);
                return new AcmeView(s.Hosts,
                    s.Ordering ? "ordering" : s.Failures > 0 ? "failing" : held is not null ? "ordering elsewhere" : s.LastSuccess is not null ? "issued" : "waiting",
                    s.Failures, s.LastAttempt, s.LastError, s.Failures > 0 ? s.NotBefore : null,
                    serving?.OrderedBy, serving?.OrderedAt, held?.Owner, held?.Expires);
            })
            .ToList();

        var connections = new ConnectionsView(limiter.Open, limiter.MaxConnections, generation.Get<LimitsConfig>().MaxConnections is null ? "derived" : "config",
            descriptors.Limit, OpenFilesLimit.CountOpen(), descriptors.OpenAtStart, descriptors.Reserve, DescriptorBudget.PerConnection);
        var failure = generations.LastFailure;
        return new StatsDocument(now, generation.Number,
            failure is null ? null : new ReloadErrorView(failure.At, [.. failure.Errors.Select(e => e.ToString())]),
            connections,
            routes, clusterViews, proxyRoutes, certificates, orders, acme.Instance);
    }
}

internal sealed record ReloadErrorView(DateTimeOffset At, IReadOnlyList<string> Errors);

/// <param name="Open">Connections open on the public listeners, as counted against <paramref name="MaxConnections"/>.</param>
/// <param name="LimitSource">"config" (Gateway:Limits:MaxConnections) or "derived" (from the open-files limit).</param>
/// <param name="DescriptorLimit">The open-files limit; null where the system has none.</param>
/// <param name="DescriptorsOpen">Descriptors open now; null when they cannot be counted.</param>
/// <param name="DescriptorsOpenAtStart">What the started process held, connections aside.</param>
/// <param name="DescriptorReserve">Descriptors kept free for what is not a connection.</param>
internal sealed record ConnectionsView(int Open, int MaxConnections, string LimitSource, long? DescriptorLimit, int? DescriptorsOpen, int DescriptorsOpenAtStart,
    int DescriptorReserve, int DescriptorsPerConnection);

/// <param name="Kind">"route" (by SNI) or "stream" (a whole port).</param>
internal sealed record PassthroughRouteView(string Id, string Kind, IReadOnlyList<string> Hosts, string ClusterId, int ActiveTunnels, long TotalTunnels,
    long BytesFromClients, long BytesFromBackends, IReadOnlyList<TrafficSample> History);

/// <param name="LoadBalancingPolicy">Gateway's policy for passthrough; YARP's (its default PowerOfTwoChoices when unset) for proxy.</param>
/// <param name="HealthChecks">Active checks (passthrough); YARP's active or passive checks (proxy).</param>
/// <param name="AffinityEntries">The source-IP affinity table's size; null without one (always for proxy: YARP keeps affinity in a cookie or header).</param>
/// <param name="ActiveTunnels">Tunnels open (passthrough); requests in flight (proxy).</param>
/// <param name="Layer">"passthrough" (Gateway:Passthrough:Clusters) or "proxy" (ReverseProxy:Clusters); the two name their clusters apart.</param>
internal sealed record ClusterView(string Id, string LoadBalancingPolicy, bool HealthChecks, int? AffinityEntries, int ActiveTunnels, IReadOnlyList<DestinationView> Destinations,
    string Layer);

/// <param name="Health">
/// "up", "down" or "unchecked". For proxy destinations YARP's: "down" when its active or passive check says so, "up" when
/// one says healthy, "unchecked" before either has (or with no check).
/// </param>
/// <param name="State">Active, Drain or Disabled, as in force.</param>
/// <param name="StateSetAtRuntime">True when the admin API set it, overriding the config (proxy destinations have no state in the config).</param>
/// <param name="ActiveTunnels">Tunnels open to it (passthrough); requests in flight to it (proxy).</param>
/// <param name="TotalTunnels">Tunnels established (passthrough); 0 for proxy, which does not count per destination.</param>
/// <param name="BytesFromClients">Passthrough only; 0 for proxy.</param>
/// <param name="BytesFromBackend">Passthrough only; 0 for proxy.</param>
internal sealed record DestinationView(string Id, string Address, string Health, string State, bool StateSetAtRuntime, int ActiveTunnels, long TotalTunnels,
    long BytesFromClients, long BytesFromBackend);

internal sealed record ProxyRouteView(string Route, string Cluster, long Requests, long ServerErrors, double ErrorRate, double AverageMilliseconds);

/// <param name="Source">"file" (Gateway:Tls:Certificates), "acme", or "fallback" (self-signed, host "*").</param>
internal sealed record CertificateView(string Host, string Source, string Subject, DateTimeOffset NotAfter, double DaysLeft);

/// <param name="State">"waiting" (not yet due or not yet tried), "ordering", "ordering elsewhere" (another instance sharing the
/// store holds the set's lock), "issued" (this run) or "failing" (backing off).</param>
/// <param name="NextAttempt">When a failing set is tried again.</param>
/// <param name="OrderedBy">The instance that ordered the certificate serving the set (host:pid:random), from the record beside it in the store.</param>
/// <param name="LockHeldBy">The instance holding the set's lock in the store, while one does.</param>
/// <param name="LockExpires">When that lock runs out unless its holder renews it.</param>
internal sealed record AcmeView(IReadOnlyList<string> Hosts, string State, int Failures, DateTimeOffset? LastAttempt, string? LastError, DateTimeOffset? NextAttempt,
    string? OrderedBy, DateTimeOffset? OrderedAt, string? LockHeldBy, DateTimeOffset? LockExpires);
