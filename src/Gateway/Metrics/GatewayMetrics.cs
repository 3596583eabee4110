using System.Diagnostics.Metrics;

namespace Gateway.Metrics;

/// <summary>
/// Gateway's one Meter. Instrument names live here and nowhere else. Labels stay low-cardinality: route,
/// cluster and destination ids from config, outcomes from fixed lists - never a client address or a raw SNI.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Gateway";

    /// <summary>
    /// Seconds, from 1 ms to a minute: a page answered from cache and a report that takes half a minute both land in a
    /// bucket of their own, and histogram_quantile interpolates within a bucket no wider than 2.5 times its floor.
    /// </summary>
    internal static readonly double[] RequestDurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> _connections;
    private readonly UpDownCounter<long> _activeTunnels;
    private readonly Counter<long> _tunnelBytes;
    private readonly Histogram<double> _tunnelDuration;
    private readonly Histogram<double> _helloDuration;
    private readonly Counter<long> _connectFailures;
    private readonly Counter<long> _configReloads;
    private readonly Counter<long> _proxyRequests;
    private readonly Histogram<double> _proxyDuration;
    private readonly Counter<long> _acmeOrders;
    private readonly Counter<long> _ntlmRefused;
    private readonly Counter<long> _proxyDenied;
    private readonly Counter<long> _boundConnections;
    private readonly Counter<long> _loginsThrottled;
    private readonly Counter<long> _acceptFailures;
    private readonly Counter<long> _internalErrors;
    private readonly Counter<long> _accessLogDropped;
    private readonly Counter<long> _backendRefused;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        _connections = Meter.CreateCounter<long>("gateway.connections", "{connection}", "Connections accepted on the public listeners, by how they were dealt with.");
        _activeTunnels = Meter.CreateUpDownCounter<long>("gateway.tunnels.active", "{tunnel}", "Passthrough tunnels open now.");
        _tunnelBytes = Meter.CreateCounter<long>("gateway.tunnel.bytes", "By", "Bytes copied through passthrough tunnels, counted while the tunnel is open (a second or so behind).");
        _tunnelDuration = Meter.CreateHistogram<double>("gateway.tunnel.duration", "s", "How long passthrough tunnels lived.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10, 60, 300, 900, 1800, 3600, 7200] });
        _helloDuration = Meter.CreateHistogram<double>("gateway.clienthello.duration", "s", "From accept to a routing decision: the time to receive and parse the ClientHello.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] });
        _connectFailures = Meter.CreateCounter<long>("gateway.destination.connect_failures", "{failure}", "Failed connects to passthrough destinations.");
        _configReloads = Meter.CreateCounter<long>("gateway.config.reloads", "{reload}", "Configuration reloads, by outcome.");
        _proxyRequests = Meter.CreateCounter<long>("gateway.proxy.requests", "{request}", "Requests proxied by L7 routes, by route, cluster, status code and status class.");
        _proxyDuration = Meter.CreateHistogram<double>("gateway.proxy.request.duration", "s", "Duration of requests proxied by L7 routes.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RequestDurationBuckets });
        _ntlmRefused = Meter.CreateCounter<long>("gateway.proxy.ntlm_refused", "{request}", "Requests with credentials of a scheme that is not per-request (NTLM, Negotiate, Kerberos...), and backend answers binding an identity to the connection, refused (502) on clusters that are not connection-pinned, by route and direction.");
        _boundConnections = Meter.CreateCounter<long>("gateway.proxy.bound_backend_connections", "{connection}", "Pooled backend connections whose answer showed an identity bound to them, by cluster and outcome (closed, or not-found: the answer was refused but the connection could not be singled out).");
        _loginsThrottled = Meter.CreateCounter<long>("gateway.auth.throttled", "{request}", "Basic-auth logins answered 429 without a password check because their client or user failed too often lately, by realm (route id, or (admin)).");
        _proxyDenied = Meter.CreateCounter<long>("gateway.proxy.denied", "{request}", "Requests on L7 routes denied by Gateway's rules (403), by route and reason.");
        _acceptFailures = Meter.CreateCounter<long>("gateway.listener.accept_failures", "{failure}",
            "Failed accepts on the public listeners, by cause (descriptors: the open-files limit; memory: kernel buffers; other); each is followed by a wait.");
        _internalErrors = Meter.CreateCounter<long>("gateway.internal_errors", "{error}",
            "Exceptions caught where none was expected, each also logged, by component (socket-loop: a continuation threw into an epoll loop; edge-connection: routing a connection failed; terminated-connection: a connection Kestrel terminates failed otherwise than by a reset or an abort, or a callback on its close threw).");
        _accessLogDropped = Meter.CreateCounter<long>("gateway.access_log.dropped", "{line}", "Access-log lines dropped: the sink could not keep up, or could not be written.");
        _backendRefused = Meter.CreateCounter<long>("gateway.backend_connections.refused", "{connection}",
            "Backend connections not dialled because the connections' sockets held every descriptor the open-files limit leaves them, by layer (passthrough: the tunnel was refused; proxy: the request got a 502).");
        _acmeOrders = Meter.CreateCounter<long>("gateway.acme.orders", "{order}", "ACME certificate orders, by outcome (issued, failed).");
    }

    /// <summary>For the observable instruments that read runtime state.</summary>
    public Meter Meter { get; }

    public void AccessLogDropped(int lines = 1) => _accessLogDropped.Add(lines);

    public void BackendConnectionRefused(string layer) => _backendRefused.Add(1, new KeyValuePair<string, object?>("layer", layer));

    public void ConnectionRouted(string outcome) => _connections.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void InternalError(string component) => _internalErrors.Add(1, new KeyValuePair<string, object?>("component", component));

    public void AcceptFailed(string error) => _acceptFailures.Add(1, new KeyValuePair<string, object?>("error", error));

    public void HelloParsed(TimeSpan elapsed) => _helloDuration.Record(elapsed.TotalSeconds);

    public void ConnectFailed(string cluster, string destination) => _connectFailures.Add(1,
        new KeyValuePair<string, object?>("cluster", cluster), new KeyValuePair<string, object?>("destination", destination));

    public void NtlmRefused(string route, string direction) => _ntlmRefused.Add(1,
        new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("direction", direction));

    public void BackendConnectionClosed(string cluster, string outcome) => _boundConnections.Add(1,
        new KeyValuePair<string, object?>("cluster", cluster), new KeyValuePair<string, object?>("outcome", outcome));

    public void LoginThrottled(string realm) => _loginsThrottled.Add(1, new KeyValuePair<string, object?>("realm", realm));

    public void ProxyDenied(string route, string reason) => _proxyDenied.Add(1,
        new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("reason", reason));

    public void AcmeOrdered(string outcome) => _acmeOrders.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ConfigReloaded(string outcome) => _configReloads.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void TunnelOpened(string route) => _activeTunnels.Add(1, new KeyValuePair<string, object?>("route", route));

    /// <summary>Bytes a tunnel moved since they were last counted: called while it is open, and once more as it closes.</summary>
    public void TunnelBytes(string route, long fromClient, long fromBackend)
    {
        var routeTag = new KeyValuePair<string, object?>("route", route);
        if (fromClient > 0)
        {
            _tunnelBytes.Add(fromClient, routeTag, new KeyValuePair<string, object?>("direction", "client_to_backend"));
        }

        if (fromBackend > 0)
        {
            _tunnelBytes.Add(fromBackend, routeTag, new KeyValuePair<string, object?>("direction", "backend_to_client"));
        }
    }

    public void TunnelClosed(string route, TimeSpan duration, string end)
    {
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _activeTunnels.Add(-1, routeTag);
        _tunnelDuration.Record(duration.TotalSeconds, routeTag, new KeyValuePair<string, object?>("end", end));
    }

    public void ProxyRequest(string route, string cluster, int status, TimeSpan duration)
    {
        var statusClass = new KeyValuePair<string, object?>("status_class", status switch { < 200 => "1xx", < 300 => "2xx", < 400 => "3xx", < 500 => "4xx", _ => "5xx" });
        var routeTag = new KeyValuePair<string, object?>("route", route);
        var clusterTag = new KeyValuePair<string, object?>("cluster", cluster);
        _proxyRequests.Add(1, routeTag, clusterTag, new KeyValuePair<string, object?>("code", StatusCodeTags.Of(status)), statusClass);
        _proxyDuration.Record(duration.TotalSeconds, routeTag, clusterTag, statusClass);
    }

    /// <summary>
    /// Counters whose every label set is known in advance start at zero, so that rate() and increase() see the first
    /// event and an alert on "absent" is not needed. Called once the exporter listens: a measurement before then is lost.
    /// </summary>
    public void StartAtZero()
    {
        foreach (var outcome in ConnectionOutcomes.All)
        {
            _connections.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var outcome in ReloadOutcomes.All)
        {
            _configReloads.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var outcome in AcmeOutcomes.All)
        {
            _acmeOrders.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var error in AcceptFailures.All)
        {
            _acceptFailures.Add(0, new KeyValuePair<string, object?>("error", error));
        }

        foreach (var component in InternalErrors.All)
        {
            _internalErrors.Add(0, new KeyValuePair<string, object?>("component", component));
        }

        _accessLogDropped.Add(0);

        foreach (var layer in ClusterLayers.All)
        {
            _backendRefused.Add(0, new KeyValuePair<string, object?>("layer", layer));
        }
    }
}
