using System.Net;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Limits;
using Gateway.Metrics;
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
    string AcmeInstance,
    OpenTunnelsView? OpenTunnels = null,
    AffinityLookupView? AffinityLookup = null)
{
    /// <summary>Open tunnels listed at most; the rest are counted.</summary>
    public const int OpenTunnelsShown = 50;

    /// <param name="affinityClient">The client address asked about (the page's lookup form), as typed; null when none was asked.</param>
    /// <param name="tunnelsBySize">List the largest open tunnels instead of the oldest.</param>
    public static StatsDocument Build(GenerationStore generations, PassthroughClusters clusters, TunnelHandler tunnels, ProxyStats proxy, TrafficHistory history,
        ManagedCertificates managed, AcmeCertificateManager acme, ConnectionLimiter limiter, DescriptorBudget descriptors, TimeProvider time,
        IProxyStateLookup yarp, ProxyDestinationStates proxyStates, PinnedForwarder pinned, string? affinityClient = null, bool tunnelsBySize = false)
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
                    traffic.BytesFromClient, traffic.BytesFromBackend, history.For(r.Item1, active.GetValueOrDefault(r.Item1)),
                    traffic.Peak, ErrorCountsView.Of(traffic), history.DayFor(r.Item1));
            })
            .ToList();

        var clusterViews = clusters.All.OrderBy(c => c.ClusterId, StringComparer.Ordinal).Select(c => new ClusterView(
            c.ClusterId,
            c.Config.LoadBalancingPolicy,
            c.Config.HealthCheck.Enabled,
            c.Config.SessionAffinity is null ? null : c.Affinity.Count,
            c.ActiveConnections,
            [.. c.Destinations.Select(d => Destination(d, c.Config.HealthCheck.Enabled))],
            ClusterLayers.Passthrough,
            c.Config.MaxConnections)).ToList();
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
            .Select(p => ProxyRoute(p.Route, p.Cluster, p.Counters, history))
            .ToList();
        foreach (var route in generation.Get<YarpConfig>().Routes.Where(r => proxyRoutes.All(p => p.Route != r.RouteId)))
        {
            proxyRoutes.Add(new ProxyRouteView(route.RouteId, route.ClusterId ?? "", 0, 0, 0, 0,
                History: history.RequestsFor(route.RouteId), HistoryDay: history.RequestsDayFor(route.RouteId)));
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
            routes, clusterViews, proxyRoutes, certificates, orders, acme.Instance,
            OpenTunnelsOf(tunnels, now, tunnelsBySize),
            affinityClient is null ? null : AffinityLookupView.Find(affinityClient, clusters));
    }

    private static DestinationView Destination(PassthroughDestination d, bool healthChecks)
    {
        var check = d.Health.LastCheck;
        return new DestinationView(
            d.DestinationId,
            d.Config.Address.ToString(),
            d.Health.Status switch { HealthStatus.Healthy => "up", HealthStatus.Unhealthy => "down", _ => "unchecked" },
            d.EffectiveState.ToString(),
            d.RuntimeState is not null,
            d.ActiveConnections,
            d.TotalConnections,
            d.Traffic.BytesFromClient,
            d.Traffic.BytesFromBackend,
            d.Traffic.Peak,
            healthChecks && check is not null ? new HealthCheckView(check.At, check.Duration.TotalMilliseconds, check.Failure is null ? "passed" : "failed", check.Failure) : null,
            d.Health.ChangedAt,
            d.StateChangedAt,
            d.Health.ConsecutiveFailures,
            ErrorCountsView.Of(d.Traffic));
    }

    private static ProxyRouteView ProxyRoute(string route, string cluster, ProxyRouteCounters counters, TrafficHistory history)
    {
        var latency = new long[LatencyHistogram.Buckets];
        counters.Latency.AddTo(latency);
        var requests = counters.Requests;
        var errors = counters.Errors;
        return new ProxyRouteView(route, cluster, requests, errors, requests == 0 ? 0 : (double)errors / requests, counters.AverageSeconds * 1000,
            counters.InFlight, counters.PeakInFlight,
            new StatusClassesView(counters.Status(0), counters.Status(1), counters.Status(2), counters.Status(3), counters.Status(4), counters.Status(5)),
            counters.ForwarderErrors().ToDictionary(e => e.Kind.ToString(), e => e.Count, StringComparer.Ordinal),
            LatencyHistogram.Percentile(latency, 0.5), LatencyHistogram.Percentile(latency, 0.99),
            history.RequestsFor(route), history.RequestsDayFor(route));
    }

    private static OpenTunnelsView OpenTunnelsOf(TunnelHandler tunnels, DateTimeOffset now, bool bySize)
    {
        var open = tunnels.Open.ToList();
        var ordered = bySize
            ? open.OrderByDescending(t => t.BytesFromClient + t.BytesFromBackend)
            : open.OrderBy(t => t.OpenedAt);
        var shown = ordered.Take(OpenTunnelsShown).Select(t => new OpenTunnelView(
            t.Client is IPEndPoint ip ? new IPEndPoint(Networks.Unmapped(ip.Address), ip.Port).ToString() : t.Client?.ToString() ?? "",
            t.ServerName, t.RouteId, t.DestinationId, t.OpenedAt, Math.Max(0, (now - t.OpenedAt).TotalSeconds), t.BytesFromClient, t.BytesFromBackend)).ToList();
        return new OpenTunnelsView(open.Count, bySize ? "largest" : "oldest", shown);
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
/// <param name="History">The last 15 minutes at 10 seconds.</param>
/// <param name="PeakTunnels">The most tunnels open at once since start.</param>
/// <param name="HistoryDay">The last 24 hours at 5 minutes: the most tunnels open at once and the mean throughput of each.</param>
internal sealed record PassthroughRouteView(string Id, string Kind, IReadOnlyList<string> Hosts, string ClusterId, int ActiveTunnels, long TotalTunnels,
    long BytesFromClients, long BytesFromBackends, IReadOnlyList<TrafficSample> History,
    int PeakTunnels = 0, ErrorCountsView? Errors = null, IReadOnlyList<TrafficSample>? HistoryDay = null);

/// <param name="LoadBalancingPolicy">Gateway's policy for passthrough; YARP's (its default PowerOfTwoChoices when unset) for proxy.</param>
/// <param name="HealthChecks">Active checks (passthrough); YARP's active or passive checks (proxy).</param>
/// <param name="AffinityEntries">The source-IP affinity table's size; null without one (always for proxy: YARP keeps affinity in a cookie or header).</param>
/// <param name="ActiveTunnels">Tunnels open (passthrough); requests in flight (proxy).</param>
/// <param name="Layer">"passthrough" (Gateway:Passthrough:Clusters) or "proxy" (ReverseProxy:Clusters); the two name their clusters apart.</param>
/// <param name="MaxConnections">The cluster's MaxConnections; null without one (always for proxy).</param>
internal sealed record ClusterView(string Id, string LoadBalancingPolicy, bool HealthChecks, int? AffinityEntries, int ActiveTunnels, IReadOnlyList<DestinationView> Destinations,
    string Layer, int? MaxConnections = null);

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
/// <param name="PeakTunnels">The most tunnels open at once since start.</param>
/// <param name="LastCheck">The last active health check; null before the first or with checks off.</param>
/// <param name="HealthChangedAt">When Health last changed (or the destination was first seen).</param>
/// <param name="StateChangedAt">When State last changed (or the destination was first seen).</param>
/// <param name="ConsecutiveFailures">Failed checks or connects in a row (the way to the cluster's Fall).</param>
internal sealed record DestinationView(string Id, string Address, string Health, string State, bool StateSetAtRuntime, int ActiveTunnels, long TotalTunnels,
    long BytesFromClients, long BytesFromBackend,
    int PeakTunnels = 0, HealthCheckView? LastCheck = null, DateTimeOffset? HealthChangedAt = null, DateTimeOffset? StateChangedAt = null,
    int ConsecutiveFailures = 0, ErrorCountsView? Errors = null);

/// <param name="Result">"passed" or "failed".</param>
/// <param name="Failure">Why it failed.</param>
internal sealed record HealthCheckView(DateTimeOffset At, double DurationMilliseconds, string Result, string? Failure);

/// <summary>What went wrong, by kind (for a destination, the first three stay 0 except ConnectFailures).</summary>
/// <param name="ConnectFailures">Connects to a destination that failed.</param>
/// <param name="NoDestination">Connections closed with no destination available.</param>
/// <param name="RefusedByLimit">Connections refused at the cluster's MaxConnections.</param>
/// <param name="ClientErrors">Tunnels ended by a client reset.</param>
/// <param name="BackendErrors">Tunnels ended by a backend reset.</param>
/// <param name="IdleTimeouts">Tunnels closed after their IdleTimeout.</param>
internal sealed record ErrorCountsView(long ConnectFailures, long NoDestination, long RefusedByLimit, long ClientErrors, long BackendErrors, long IdleTimeouts)
{
    public static ErrorCountsView Of(TrafficCounters traffic) =>
        new(traffic.ConnectFailures, traffic.NoDestination, traffic.RefusedByLimit, traffic.ClientErrors, traffic.BackendErrors, traffic.IdleTimeouts);
}

/// <param name="InFlight">Requests being answered now.</param>
/// <param name="PeakInFlight">The most requests in flight at once since start.</param>
/// <param name="ForwarderErrors">Requests YARP could not forward, by its error kind (Request, RequestTimedOut, ...).</param>
/// <param name="P50Milliseconds">Median latency since start, from a histogram with buckets 19% wide.</param>
/// <param name="History">The route's last 15 minutes at 10 seconds (all its clusters).</param>
/// <param name="HistoryDay">The route's last 24 hours at 5 minutes.</param>
internal sealed record ProxyRouteView(string Route, string Cluster, long Requests, long ServerErrors, double ErrorRate, double AverageMilliseconds,
    int InFlight = 0, int PeakInFlight = 0, StatusClassesView? Statuses = null, IReadOnlyDictionary<string, long>? ForwarderErrors = null,
    double? P50Milliseconds = null, double? P99Milliseconds = null, IReadOnlyList<RequestSample>? History = null, IReadOnlyList<RequestSample>? HistoryDay = null);

/// <summary>Answers by status class; Other is anything outside 100-599.</summary>
internal sealed record StatusClassesView(long Informational, long Success, long Redirection, long ClientError, long ServerError, long Other);

/// <param name="Total">Tunnels open now.</param>
/// <param name="Order">"oldest" or "largest": which ones <paramref name="Shown"/> holds.</param>
internal sealed record OpenTunnelsView(int Total, string Order, IReadOnlyList<OpenTunnelView> Shown);

/// <param name="Sni">Null on streams.</param>
internal sealed record OpenTunnelView(string Client, string? Sni, string Route, string Destination, DateTimeOffset OpenedAt, double AgeSeconds,
    long BytesFromClient, long BytesFromBackend);

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

/// <param name="Kind">"affinity" (the cluster's table) or "hash" (SourceIpHash over the destinations available now).</param>
/// <param name="Destination">Null: no entry for the client (affinity), or no destination available (hash).</param>
/// <param name="IdleSeconds">Since the entry was last used (affinity).</param>
internal sealed record AffinityAnswerView(string Cluster, string Kind, string? Destination, double? IdleSeconds);
