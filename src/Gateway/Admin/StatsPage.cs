using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;

namespace Gateway.Admin;

/// <summary>
/// /stats as one self-contained HTML page: tables, inline SVG charts drawn on the server, and plain HTML forms for the
/// actions - no script at all, nothing from elsewhere. It refreshes itself every 10 seconds, like HAProxy's stats page.
/// Everything that comes from the config or from clients (ids, host names, SNI, errors) is HTML-encoded.
/// </summary>
internal static class StatsPage
{
    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#f7f8fa}
        h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.8em 0 .5em}h3{font-size:1em;margin:1em 0 .3em}
        nav a{margin-right:1em}
        table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;margin-bottom:.7em}
        th,td{padding:.3em .7em;border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}th{background:#eef1f5;font-weight:600}
        th.group{background:#dfe5ee}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.muted{color:#6b7280}
        .up,.passed{color:#0a7d36;font-weight:600}.down,.failed{color:#c0262d;font-weight:600}.unchecked{color:#6b7280}
        .Drain{color:#b45309;font-weight:600}.Disabled{color:#c0262d;font-weight:600}.bad{color:#c0262d}
        .error{background:#fde8e8;border:1px solid #f5b5b5;padding:.6em 1em;white-space:pre-wrap}
        td.actions{white-space:nowrap}form.action{display:inline;margin:0 .2em 0 0}form.action button{font-size:12px;padding:.1em .5em;cursor:pointer}
        .charts{display:flex;flex-wrap:wrap;gap:.6em;margin:.3em 0 1em}
        svg.chart{background:#fff;border:1px solid #e3e6eb}
        svg.chart text{font:11px system-ui,sans-serif;fill:#4b5563}svg.chart text.ct{font-weight:600;fill:#1d2330}
        svg.chart text.ya{text-anchor:end}svg.chart text.xa,svg.chart text.empty{text-anchor:middle}
        svg.chart line.grid{stroke:#eef1f5}svg.chart line.axis{stroke:#9ca3af}
        svg.chart path{fill:none;stroke-width:1.6}
        .s1{stroke:#2563eb;fill:#2563eb}.s2{stroke:#d97706;fill:#d97706}.s3{stroke:#7c3aed;fill:#7c3aed}.s4{stroke:#c0262d;fill:#c0262d}
        svg.chart tspan.t1{fill:#2563eb}svg.chart tspan.t2{fill:#d97706}svg.chart tspan.t3{fill:#7c3aed}svg.chart tspan.t4{fill:#c0262d}
        """;

    /// <summary>
    /// For the page only: nothing loads or runs but its own stylesheet (by hash), forms post only to the admin
    /// listener, and no other site may frame it (its buttons change state).
    /// </summary>
    public static readonly string ContentSecurityPolicy =
        "default-src 'none'; style-src 'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style))) + "'; img-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly TimeSpan Recent = TimeHistoryWindow(TrafficHistory.Interval, TrafficHistory.Capacity);
    private static readonly TimeSpan Day = TimeHistoryWindow(TrafficHistory.DayInterval, TrafficHistory.DayCapacity);

    public static string Render(StatsDocument stats)
    {
        var html = new StringBuilder(32 * 1024);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\">")
            .Append("<title>Gateway stats</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>Gateway</h1><p class=\"muted\">Config generation ").Append(stats.ConfigGeneration)
            .Append(" &middot; ").Append(Encode(stats.GeneratedAt.ToString("u", CultureInfo.InvariantCulture)))
            .Append(" &middot; <a href=\"stats.json\">stats.json</a> &middot; <a href=\"metrics\">metrics</a></p>")
            .Append("<nav><a href=\"#connections\">Connections</a><a href=\"#passthrough\">Passthrough routes</a><a href=\"#clusters\">Clusters</a>")
            .Append("<a href=\"#proxy\">L7 routes</a><a href=\"#tunnels\">Open tunnels</a><a href=\"#affinity\">Affinity lookup</a><a href=\"#certificates\">Certificates</a></nav>");

        if (stats.LastReloadError is { } failure)
        {
            html.Append("<div class=\"error\" id=\"reload-error\"><strong>The last edit of the config file was rejected</strong> at ")
                .Append(Encode(failure.At.ToString("u", CultureInfo.InvariantCulture))).Append("; the generation above keeps serving.\n")
                .Append(Encode(string.Join("\n", failure.Errors))).Append("</div>");
        }

        Connections(html, stats.Connections);
        Passthrough(html, stats);
        Clusters(html, stats);
        Proxy(html, stats);
        OpenTunnels(html, stats);
        Affinity(html, stats);
        Certificates(html, stats);
        return html.Append("</body></html>").ToString();
    }

    private static void Connections(StringBuilder html, ConnectionsView connections)
    {
        html.Append("<h2 id=\"connections-title\">Connections and descriptors</h2><table id=\"connections\"><tr><th>Open</th><th>Limit</th><th>Open files</th><th>Open files limit</th>")
            .Append("<th>Open once started</th><th>Kept free</th></tr><tr>")
            .Append(Number(connections.Open))
            .Append("<td class=\"n\">").Append(connections.MaxConnections == int.MaxValue ? "none" : connections.MaxConnections.ToString("N0", CultureInfo.InvariantCulture))
            .Append(connections.LimitSource == "config" ? " <span class=\"muted\">(Limits:MaxConnections)</span>" : " <span class=\"muted\">(from the open-files limit)</span>").Append("</td>")
            .Append(connections.DescriptorsOpen is { } open ? Number(open) : "<td class=\"n muted\">-</td>")
            .Append(connections.DescriptorLimit is { } limit ? Number(limit) : "<td class=\"n muted\">none</td>")
            .Append(Number(connections.DescriptorsOpenAtStart)).Append(Number(connections.DescriptorReserve)).Append("</tr></table>");
    }

    private static void Passthrough(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2>Passthrough routes and streams (L4)</h2><table id=\"passthrough\">")
            .Append("<tr><th colspan=\"3\"></th><th colspan=\"3\" class=\"group\">Tunnels</th><th colspan=\"2\" class=\"group\">Bytes</th><th colspan=\"6\" class=\"group\">Errors</th></tr>")
            .Append("<tr><th>Route</th><th>Hosts</th><th>Cluster</th><th>Open</th><th>Peak</th><th>Total</th><th>In</th><th>Out</th>")
            .Append("<th title=\"refused at the cluster's MaxConnections\">Limit</th><th title=\"no destination available\">No dest.</th><th>Connect</th>")
            .Append("<th>Client reset</th><th>Backend reset</th><th>Idle timeout</th></tr>");
        foreach (var route in stats.PassthroughRoutes)
        {
            html.Append("<tr data-route=\"").Append(Encode(route.Id)).Append("\"><td>").Append(Encode(route.Id)).Append(route.Kind == "stream" ? " <span class=\"muted\">(stream)</span>" : "")
                .Append("</td><td>").Append(Encode(string.Join(", ", route.Hosts))).Append("</td><td><a href=\"#cluster-").Append(Encode(route.ClusterId)).Append("\">")
                .Append(Encode(route.ClusterId)).Append("</a></td>")
                .Append(Number(route.ActiveTunnels)).Append(Number(route.PeakTunnels)).Append(Number(route.TotalTunnels))
                .Append(Bytes(route.BytesFromClients)).Append(Bytes(route.BytesFromBackends));
            var errors = route.Errors ?? new ErrorCountsView(0, 0, 0, 0, 0, 0);
            html.Append(Errors(errors.RefusedByLimit)).Append(Errors(errors.NoDestination)).Append(Errors(errors.ConnectFailures))
                .Append(Errors(errors.ClientErrors)).Append(Errors(errors.BackendErrors)).Append(Number(errors.IdleTimeouts)).Append("</tr>");
        }

        html.Append("</table>");
        foreach (var route in stats.PassthroughRoutes)
        {
            html.Append("<h3>").Append(Encode(route.Id)).Append("</h3><div class=\"charts\" data-route-charts=\"").Append(Encode(route.Id)).Append("\">");
            var now = stats.GeneratedAt;
            var recent = route.History;
            var day = route.HistoryDay ?? [];
            SvgChart.Render(html, route.Id + ":tunnels:15m", "Open tunnels, last 15 minutes", Count, 1, Recent, TimeSpan.FromMinutes(3), now,
                new SvgChart.Series("open", "s1", [.. recent.Select(s => (s.At, (double?)s.ActiveTunnels))]));
            SvgChart.Render(html, route.Id + ":throughput:15m", "Throughput, last 15 minutes", PerSecond, 1024, Recent, TimeSpan.FromMinutes(3), now,
                new SvgChart.Series("both ways", "s2", [.. recent.Select(s => (s.At, (double?)s.BytesPerSecond))]));
            html.Append("</div><div class=\"charts\">");
            SvgChart.Render(html, route.Id + ":tunnels:24h", "Open tunnels, last 24 hours (peak of 5 min)", Count, 1, Day, TimeSpan.FromHours(4), now,
                new SvgChart.Series("open", "s1", [.. day.Select(s => (s.At, (double?)s.ActiveTunnels))]));
            SvgChart.Render(html, route.Id + ":throughput:24h", "Throughput, last 24 hours (mean of 5 min)", PerSecond, 1024, Day, TimeSpan.FromHours(4), now,
                new SvgChart.Series("both ways", "s2", [.. day.Select(s => (s.At, (double?)s.BytesPerSecond))]));
            html.Append("</div>");
        }
    }

    private static void Clusters(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2 id=\"clusters\">Clusters and destinations</h2>");
        foreach (var cluster in stats.Clusters)
        {
            var l7 = cluster.Layer == "proxy";
            html.Append("<table class=\"cluster\" id=\"cluster-").Append(Encode(cluster.Id)).Append("\" data-cluster=\"").Append(Encode(cluster.Id))
                .Append("\" data-layer=\"").Append(Encode(cluster.Layer)).Append("\"><tr><th colspan=\"17\">").Append(Encode(cluster.Id))
                .Append(" <span class=\"muted\">").Append(l7 ? "L7" : "L4").Append(", ").Append(Encode(cluster.LoadBalancingPolicy))
                .Append(cluster.HealthChecks ? ", health checks on" : ", health checks off")
                .Append(cluster.AffinityEntries is { } entries ? $", affinity table {entries.ToString(CultureInfo.InvariantCulture)} entries" : "")
                .Append(", ").Append(cluster.ActiveTunnels).Append(l7 ? " in flight" : " open")
                .Append(cluster.MaxConnections is { } max ? " of at most " + max.ToString(CultureInfo.InvariantCulture) : "").Append("</span></th></tr>")
                .Append("<tr><th>Destination</th><th>Address</th><th>Health</th><th>Last check</th><th>State</th><th>Since</th>")
                .Append("<th>").Append(l7 ? "In flight" : "Open").Append("</th><th>Peak</th><th>Total</th><th>Bytes in</th><th>Bytes out</th>")
                .Append("<th>Connect errors</th><th>Client reset</th><th>Backend reset</th><th>Idle timeout</th><th>Actions</th></tr>");
            foreach (var d in cluster.Destinations)
            {
                var errors = d.Errors ?? new ErrorCountsView(0, 0, 0, 0, 0, 0);
                html.Append("<tr data-destination=\"").Append(Encode(d.Id)).Append("\"><td>").Append(Encode(d.Id)).Append("</td><td>").Append(Encode(d.Address))
                    .Append("</td><td class=\"health ").Append(Encode(d.Health)).Append("\">").Append(Encode(d.Health))
                    .Append(d.ConsecutiveFailures > 0 ? $" <span class=\"muted\">({d.ConsecutiveFailures.ToString(CultureInfo.InvariantCulture)} failed in a row)</span>" : "")
                    .Append("</td><td class=\"check\">");
                if (d.LastCheck is { } check)
                {
                    html.Append("<span class=\"").Append(Encode(check.Result)).Append("\">").Append(Encode(check.Result)).Append("</span> in ")
                        .Append(check.DurationMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)).Append(" ms, ").Append(Ago(stats.GeneratedAt - check.At)).Append(" ago")
                        .Append(check.Failure is { } why ? "<br><span class=\"bad\">" + Encode(why) + "</span>" : "");
                }
                else
                {
                    html.Append("<span class=\"muted\">-</span>");
                }

                var since = Later(d.HealthChangedAt, d.StateChangedAt);
                html.Append("</td><td class=\"state ").Append(Encode(d.State)).Append("\">").Append(d.State == "Drain" ? "draining" : Encode(d.State))
                    .Append(d.StateSetAtRuntime ? " <span class=\"muted\">(set at runtime)</span>" : "").Append("</td>")
                    .Append("<td class=\"n since\">").Append(since is { } at ? Ago(stats.GeneratedAt - at) : "-").Append("</td>")
                    .Append(Number(d.ActiveTunnels)).Append(Number(d.PeakTunnels)).Append(Number(d.TotalTunnels)).Append(Bytes(d.BytesFromClients)).Append(Bytes(d.BytesFromBackend))
                    .Append(Errors(errors.ConnectFailures)).Append(Errors(errors.ClientErrors)).Append(Errors(errors.BackendErrors)).Append(Number(errors.IdleTimeouts))
                    .Append("<td class=\"actions\">");
                Action(html, cluster, d, "Drain", "drain", d.State != "Drain");
                Action(html, cluster, d, "Disabled", "disable", d.State != "Disabled");
                Action(html, cluster, d, "Active", "enable", d.State != "Active");
                Action(html, cluster, d, "Config", "as configured", d.StateSetAtRuntime);
                html.Append("</td></tr>");
            }

            html.Append("</table>");
        }
    }

    /// <summary>A plain form posting to the state API's form variant, which answers with a redirect back here.</summary>
    private static void Action(StringBuilder html, ClusterView cluster, DestinationView destination, string value, string label, bool offered)
    {
        if (!offered)
        {
            return;
        }

        var target = "stats/state?cluster=" + Uri.EscapeDataString(cluster.Id) + "&destination=" + Uri.EscapeDataString(destination.Id)
            + "&value=" + value + "&layer=" + Uri.EscapeDataString(cluster.Layer);
        html.Append("<form class=\"action\" method=\"post\" action=\"").Append(Encode(target)).Append("\"><button type=\"submit\" data-action=\"").Append(value)
            .Append("\">").Append(label).Append("</button></form>");
    }

    private static void Proxy(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2 id=\"proxy-title\">L7 routes</h2><table id=\"proxy\">")
            .Append("<tr><th colspan=\"2\"></th><th colspan=\"3\" class=\"group\">Requests</th><th colspan=\"6\" class=\"group\">Answers</th>")
            .Append("<th colspan=\"3\" class=\"group\">Errors</th><th colspan=\"3\" class=\"group\">Latency</th></tr>")
            .Append("<tr><th>Route</th><th>Cluster</th><th>In flight</th><th>Peak</th><th>Total</th><th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>other</th>")
            .Append("<th>Server errors</th><th>Error rate</th><th>Forwarding errors</th><th>Mean</th><th>p50</th><th>p99</th></tr>");
        foreach (var route in stats.ProxyRoutes)
        {
            var statuses = route.Statuses ?? new StatusClassesView(0, 0, 0, 0, 0, 0);
            html.Append("<tr data-proxy-route=\"").Append(Encode(route.Route)).Append("\"><td>").Append(Encode(route.Route)).Append("</td><td>").Append(Encode(route.Cluster)).Append("</td>")
                .Append(Number(route.InFlight)).Append(Number(route.PeakInFlight)).Append(Number(route.Requests))
                .Append(Number(statuses.Informational)).Append(Number(statuses.Success)).Append(Number(statuses.Redirection)).Append(Number(statuses.ClientError))
                .Append(Errors(statuses.ServerError)).Append(Number(statuses.Other))
                .Append(Errors(route.ServerErrors))
                .Append("<td class=\"n\">").Append(route.ErrorRate.ToString("P1", CultureInfo.InvariantCulture)).Append("</td><td class=\"forward-errors\">")
                .Append(route.ForwarderErrors is { Count: > 0 } kinds
                    ? string.Join(", ", kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => Encode(k.Key) + " " + k.Value.ToString("N0", CultureInfo.InvariantCulture)))
                    : "<span class=\"muted\">none</span>")
                .Append("</td><td class=\"n\">").Append(Milliseconds(route.Requests == 0 ? null : route.AverageMilliseconds)).Append("</td><td class=\"n\">")
                .Append(Milliseconds(route.P50Milliseconds)).Append("</td><td class=\"n\">").Append(Milliseconds(route.P99Milliseconds)).Append("</td></tr>");
        }

        html.Append("</table>");
        foreach (var route in stats.ProxyRoutes.DistinctBy(r => r.Route))
        {
            var now = stats.GeneratedAt;
            html.Append("<h3>").Append(Encode(route.Route)).Append("</h3><div data-proxy-charts=\"").Append(Encode(route.Route)).Append("\">");
            foreach (var (window, tick, label, samples) in (ReadOnlySpan<(TimeSpan, TimeSpan, string, IReadOnlyList<RequestSample>)>)[
                (Recent, TimeSpan.FromMinutes(3), "15m", route.History ?? []), (Day, TimeSpan.FromHours(4), "24h", route.HistoryDay ?? [])])
            {
                var span = label == "15m" ? "last 15 minutes" : "last 24 hours (5 min)";
                html.Append("<div class=\"charts\">");
                SvgChart.Render(html, route.Route + ":requests:" + label, "Requests/s, " + span, PerSecondCount, 1, window, tick, now,
                    new SvgChart.Series("requests/s", "s1", [.. samples.Select(s => (s.At, (double?)s.RequestsPerSecond))]));
                SvgChart.Render(html, route.Route + ":errors:" + label, "Server error rate, " + span, Percent, 0.01, window, tick, now,
                    new SvgChart.Series("errors", "s4", [.. samples.Select(s => (s.At, s.RequestsPerSecond > 0 ? (double?)s.ErrorRate : null))]));
                SvgChart.Render(html, route.Route + ":latency:" + label, "Latency, " + span, Ms, 1, window, tick, now,
                    new SvgChart.Series("p50", "s1", [.. samples.Select(s => (s.At, s.P50Milliseconds))]),
                    new SvgChart.Series("p99", "s3", [.. samples.Select(s => (s.At, s.P99Milliseconds))]));
                html.Append("</div>");
            }

            html.Append("</div>");
        }
    }

    private static void OpenTunnels(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2 id=\"tunnels\">Open tunnels</h2>");
        if (stats.OpenTunnels is not { } open)
        {
            return;
        }

        html.Append("<p class=\"muted\" id=\"tunnels-summary\">").Append(open.Total.ToString("N0", CultureInfo.InvariantCulture)).Append(" open; ")
            .Append(open.Total > open.Shown.Count ? $"the {open.Shown.Count.ToString(CultureInfo.InvariantCulture)} {Encode(open.Order)} shown, {(open.Total - open.Shown.Count).ToString("N0", CultureInfo.InvariantCulture)} more not shown" : "all shown")
            .Append(" &middot; order: ").Append(open.Order == "oldest" ? "<strong>oldest</strong> <a href=\"stats?tunnels=largest#tunnels\">largest</a>" : "<a href=\"stats#tunnels\">oldest</a> <strong>largest</strong>")
            .Append("</p>");
        if (open.Shown.Count == 0)
        {
            return;
        }

        html.Append("<table id=\"open-tunnels\"><tr><th>Client</th><th>SNI</th><th>Route</th><th>Destination</th><th>Age</th><th>Bytes in</th><th>Bytes out</th></tr>");
        foreach (var t in open.Shown)
        {
            html.Append("<tr><td><a href=\"stats?client=").Append(Encode(Uri.EscapeDataString(t.Client))).Append("#affinity\">").Append(Encode(t.Client)).Append("</a></td><td>")
                .Append(t.Sni is null ? "<span class=\"muted\">(stream)</span>" : Encode(t.Sni)).Append("</td><td>").Append(Encode(t.Route)).Append("</td><td>")
                .Append(Encode(t.Destination)).Append("</td><td class=\"n\">").Append(Ago(TimeSpan.FromSeconds(t.AgeSeconds))).Append("</td>")
                .Append(Bytes(t.BytesFromClient)).Append(Bytes(t.BytesFromBackend)).Append("</tr>");
        }

        html.Append("</table>");
    }

    private static void Affinity(StringBuilder html, StatsDocument stats)
    {
        var lookup = stats.AffinityLookup;
        html.Append("<h2 id=\"affinity\">Affinity lookup</h2><form method=\"get\" action=\"stats#affinity\"><label>Which destination has client ")
            .Append("<input name=\"client\" maxlength=\"").Append(AffinityLookupView.MaxQueryLength).Append("\" placeholder=\"192.0.2.7\" value=\"")
            .Append(Encode(lookup?.Query ?? "")).Append("\"></label> <button type=\"submit\">Look up</button></form>");
        if (lookup is null)
        {
            return;
        }

        if (lookup.Error is not null)
        {
            html.Append("<p class=\"error\" id=\"affinity-error\">").Append(Encode(lookup.Query)).Append(": ").Append(Encode(lookup.Error)).Append("</p>");
            return;
        }

        if (lookup.Answers.Count == 0)
        {
            html.Append("<p id=\"affinity-none\">No passthrough cluster keeps clients on one destination (SessionAffinity or SourceIpHash).</p>");
            return;
        }

        html.Append("<table id=\"affinity-result\"><tr><th>Cluster</th><th>By</th><th>Destination for ").Append(Encode(lookup.Client ?? "")).Append("</th></tr>");
        foreach (var answer in lookup.Answers)
        {
            html.Append("<tr data-affinity-cluster=\"").Append(Encode(answer.Cluster)).Append("\"><td>").Append(Encode(answer.Cluster)).Append("</td><td>")
                .Append(answer.Kind == "hash" ? "source IP hash" : "affinity table").Append("</td><td>")
                .Append(answer.Destination is { } destination
                    ? Encode(destination) + (answer.IdleSeconds is { } idle ? " <span class=\"muted\">(last used " + Ago(TimeSpan.FromSeconds(idle)) + " ago)</span>" : "")
                    : answer.Kind == "hash" ? "<span class=\"muted\">no destination available</span>" : "<span class=\"muted\">no entry</span>")
                .Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Certificates(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2 id=\"certificates-title\">Certificates</h2><table id=\"certificates\"><tr><th>Host</th><th>Source</th><th>Subject</th><th>Expires</th><th>Days left</th></tr>");
        foreach (var c in stats.Certificates)
        {
            html.Append("<tr><td>").Append(c.Source == "fallback" ? "<span class=\"muted\">fallback (self-signed)</span>" : Encode(c.Host)).Append("</td><td>").Append(Encode(c.Source))
                .Append("</td><td>").Append(Encode(c.Subject))
                .Append("</td><td>").Append(Encode(c.NotAfter.ToString("u", CultureInfo.InvariantCulture))).Append("</td><td class=\"n")
                .Append(c.DaysLeft < 14 ? " down" : "").Append("\">").Append(c.DaysLeft.ToString("0", CultureInfo.InvariantCulture)).Append("</td></tr>");
        }

        html.Append("</table>");
        if (stats.Acme.Count == 0)
        {
            return;
        }

        // Instances sharing the certificate store order for each other: who ordered a certificate, and who holds a lock now.
        html.Append("<h2>ACME</h2><p class=\"muted\">This instance: ").Append(Encode(stats.AcmeInstance)).Append("</p>")
            .Append("<table id=\"acme\"><tr><th>Hosts</th><th>State</th><th>Failures</th><th>Next attempt</th><th>Last error</th>")
            .Append("<th>Ordered by</th><th>Ordered at</th><th>Lock held by</th><th>Lock expires</th></tr>");
        foreach (var order in stats.Acme)
        {
            html.Append("<tr><td>").Append(Encode(string.Join(", ", order.Hosts))).Append("</td><td").Append(order.State == "failing" ? " class=\"down\"" : "").Append('>')
                .Append(Encode(order.State)).Append("</td><td class=\"n\">").Append(order.Failures).Append("</td><td>")
                .Append(order.NextAttempt is { } next ? Encode(next.ToString("u", CultureInfo.InvariantCulture)) : "").Append("</td><td>")
                .Append(Encode(order.LastError ?? "")).Append("</td><td>")
                .Append(Encode(order.OrderedBy ?? "")).Append("</td><td>")
                .Append(order.OrderedAt is { } ordered ? Encode(ordered.ToString("u", CultureInfo.InvariantCulture)) : "").Append("</td><td>")
                .Append(Encode(order.LockHeldBy ?? "")).Append("</td><td>")
                .Append(order.LockExpires is { } expires ? Encode(expires.ToString("u", CultureInfo.InvariantCulture)) : "").Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static TimeSpan TimeHistoryWindow(TimeSpan interval, int capacity) => interval * capacity;

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>"42 s", "3 min 7 s", "5 h 12 min", "2 d 4 h": HAProxy's LastChg, readable.</summary>
    internal static string Ago(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        var c = CultureInfo.InvariantCulture;
        return span.TotalSeconds < 60 ? span.TotalSeconds.ToString("0", c) + " s"
            : span.TotalMinutes < 60 ? $"{span.Minutes.ToString(c)} min {span.Seconds.ToString(c)} s"
            : span.TotalHours < 24 ? $"{span.Hours.ToString(c)} h {span.Minutes.ToString(c)} min"
            : $"{span.Days.ToString(c)} d {span.Hours.ToString(c)} h";
    }

    private static string Number(long value) => "<td class=\"n\">" + value.ToString("N0", CultureInfo.InvariantCulture) + "</td>";

    /// <summary>A count that is bad news when it is not zero.</summary>
    private static string Errors(long value) => value == 0 ? Number(value) : "<td class=\"n bad\">" + value.ToString("N0", CultureInfo.InvariantCulture) + "</td>";

    private static string Bytes(long value) => "<td class=\"n\">" + FormatBytes(value) + "</td>";

    private static string Milliseconds(double? value) => value is { } ms ? FormatMilliseconds(ms) : "<span class=\"muted\">-</span>";

    private static string FormatMilliseconds(double ms) => ms < 10 ? ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms"
        : ms < 1000 ? ms.ToString("0", CultureInfo.InvariantCulture) + " ms"
        : (ms / 1000).ToString("0.0#", CultureInfo.InvariantCulture) + " s";

    private static string Count(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string PerSecondCount(double value) => value.ToString("0.##", CultureInfo.InvariantCulture) + "/s";

    private static string PerSecond(double value) => FormatBytes(value) + "/s";

    private static string Percent(double value) => (value * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";

    private static string Ms(double value) => FormatMilliseconds(value);

    private static string FormatBytes(double bytes) => bytes switch
    {
        < 1024 => bytes.ToString("0", CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / 1024 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024 / 1024 / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);
}
