using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Gateway.Admin;

/// <summary>
/// /stats as one self-contained HTML page: tables and inline SVG charts, no scripts, no CDN. It refreshes
/// itself every 10 seconds, like HAProxy's stats page.
/// </summary>
internal static class StatsPage
{
    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1d2330;background:#f7f8fa}
        h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.6em 0 .5em}
        table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002;margin-bottom:.5em}
        th,td{padding:.35em .8em;border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}th{background:#eef1f5;font-weight:600}
        td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#6b7280}
        .up{color:#0a7d36;font-weight:600}.down{color:#c0262d;font-weight:600}.unchecked{color:#6b7280}
        .Drain{color:#b45309;font-weight:600}.Disabled{color:#c0262d;font-weight:600}
        .error{background:#fde8e8;border:1px solid #f5b5b5;padding:.6em 1em;white-space:pre-wrap}
        svg.chart{background:#fff;border:1px solid #e3e6eb}.conn{stroke:#2563eb}.rate{stroke:#d97706}
        """;

    public static string Render(StatsDocument stats)
    {
        var html = new StringBuilder(8192);
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"10\">")
            .Append("<title>Gateway stats</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>Gateway</h1><p class=\"muted\">Config generation ").Append(stats.ConfigGeneration)
            .Append(" &middot; ").Append(Encode(stats.GeneratedAt.ToString("u", CultureInfo.InvariantCulture)))
            .Append(" &middot; <a href=\"stats.json\">stats.json</a> &middot; <a href=\"metrics\">metrics</a></p>");

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
        Certificates(html, stats);
        return html.Append("</body></html>").ToString();
    }

    private static void Connections(StringBuilder html, ConnectionsView connections)
    {
        html.Append("<h2>Connections and descriptors</h2><table id=\"connections\"><tr><th>Open</th><th>Limit</th><th>Open files</th><th>Open files limit</th>")
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
        html.Append("<h2>Passthrough routes and streams</h2><table id=\"passthrough\"><tr><th>Route</th><th>Hosts</th><th>Cluster</th><th>Open</th><th>Total</th>")
            .Append("<th>Bytes in</th><th>Bytes out</th><th>Last 15 minutes: <span class=\"conn\" style=\"color:#2563eb\">open tunnels</span>, <span style=\"color:#d97706\">throughput</span></th></tr>");
        foreach (var route in stats.PassthroughRoutes)
        {
            html.Append("<tr data-route=\"").Append(Encode(route.Id)).Append("\"><td>").Append(Encode(route.Id)).Append(route.Kind == "stream" ? " <span class=\"muted\">(stream)</span>" : "")
                .Append("</td><td>").Append(Encode(string.Join(", ", route.Hosts))).Append("</td><td>").Append(Encode(route.ClusterId))
                .Append("</td>").Append(Number(route.ActiveTunnels)).Append(Number(route.TotalTunnels)).Append(Bytes(route.BytesFromClients)).Append(Bytes(route.BytesFromBackends))
                .Append("<td>");
            Chart(html, route);
            html.Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Clusters(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2>Passthrough clusters</h2>");
        foreach (var cluster in stats.Clusters)
        {
            html.Append("<table class=\"cluster\" data-cluster=\"").Append(Encode(cluster.Id)).Append("\"><tr><th colspan=\"8\">").Append(Encode(cluster.Id))
                .Append(" <span class=\"muted\">").Append(Encode(cluster.LoadBalancingPolicy))
                .Append(cluster.HealthChecks ? ", health checks on" : ", health checks off")
                .Append(cluster.AffinityEntries is { } entries ? $", affinity table {entries.ToString(CultureInfo.InvariantCulture)} entries" : "")
                .Append(", ").Append(cluster.ActiveTunnels).Append(" open</span></th></tr>")
                .Append("<tr><th>Destination</th><th>Address</th><th>Health</th><th>State</th><th>Open</th><th>Total</th><th>Bytes in</th><th>Bytes out</th></tr>");
            foreach (var d in cluster.Destinations)
            {
                html.Append("<tr data-destination=\"").Append(Encode(d.Id)).Append("\"><td>").Append(Encode(d.Id)).Append("</td><td>").Append(Encode(d.Address))
                    .Append("</td><td class=\"").Append(d.Health).Append("\">").Append(d.Health)
                    .Append("</td><td class=\"state ").Append(d.State).Append("\">").Append(d.State == "Drain" ? "draining" : d.State)
                    .Append(d.StateSetAtRuntime ? " <span class=\"muted\">(set at runtime)</span>" : "").Append("</td>")
                    .Append(Number(d.ActiveTunnels)).Append(Number(d.TotalTunnels)).Append(Bytes(d.BytesFromClients)).Append(Bytes(d.BytesFromBackend)).Append("</tr>");
            }

            html.Append("</table>");
        }
    }

    private static void Proxy(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2>L7 routes</h2><table id=\"proxy\"><tr><th>Route</th><th>Cluster</th><th>Requests</th><th>Server errors</th><th>Error rate</th><th>Mean latency</th></tr>");
        foreach (var route in stats.ProxyRoutes)
        {
            html.Append("<tr data-proxy-route=\"").Append(Encode(route.Route)).Append("\"><td>").Append(Encode(route.Route)).Append("</td><td>").Append(Encode(route.Cluster)).Append("</td>")
                .Append(Number(route.Requests)).Append(Number(route.ServerErrors))
                .Append("<td class=\"n\">").Append(route.ErrorRate.ToString("P1", CultureInfo.InvariantCulture)).Append("</td>")
                .Append("<td class=\"n\">").Append(route.AverageMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)).Append(" ms</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Certificates(StringBuilder html, StatsDocument stats)
    {
        html.Append("<h2>Certificates</h2><table id=\"certificates\"><tr><th>Host</th><th>Source</th><th>Subject</th><th>Expires</th><th>Days left</th></tr>");
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

        html.Append("<h2>ACME</h2><table id=\"acme\"><tr><th>Hosts</th><th>State</th><th>Failures</th><th>Next attempt</th><th>Last error</th></tr>");
        foreach (var order in stats.Acme)
        {
            html.Append("<tr><td>").Append(Encode(string.Join(", ", order.Hosts))).Append("</td><td").Append(order.State == "failing" ? " class=\"down\"" : "").Append('>')
                .Append(Encode(order.State)).Append("</td><td class=\"n\">").Append(order.Failures).Append("</td><td>")
                .Append(order.NextAttempt is { } next ? Encode(next.ToString("u", CultureInfo.InvariantCulture)) : "").Append("</td><td>")
                .Append(Encode(order.LastError ?? "")).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    /// <summary>Two lines on one 15-minute axis, each scaled to its own peak (shown in the tooltip).</summary>
    private static void Chart(StringBuilder html, PassthroughRouteView route)
    {
        const int Width = 270, Height = 50;
        var samples = route.History;
        var peakOpen = Math.Max(1, samples.Count == 0 ? 0 : samples.Max(s => s.ActiveTunnels));
        var peakRate = Math.Max(1, samples.Count == 0 ? 0 : samples.Max(s => s.BytesPerSecond));
        html.Append("<svg class=\"chart\" width=\"").Append(Width).Append("\" height=\"").Append(Height).Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height)
            .Append("\" role=\"img\"><title>").Append(Encode($"{route.Id}: peak {peakOpen} open tunnels, peak {FormatBytes(peakRate)}/s over the last {samples.Count} samples"))
            .Append("</title>");
        Line(html, "conn", samples.Select(s => (double)s.ActiveTunnels).ToList(), peakOpen, Width, Height);
        Line(html, "rate", samples.Select(s => s.BytesPerSecond).ToList(), peakRate, Width, Height);
        html.Append("</svg>");
    }

    private static void Line(StringBuilder html, string css, List<double> values, double peak, int width, int height)
    {
        html.Append("<polyline class=\"").Append(css).Append("\" fill=\"none\" stroke-width=\"1.5\" points=\"");
        var slots = Math.Max(TrafficHistory.Capacity, values.Count);
        var step = (double)width / (slots - 1);
        var offset = slots - values.Count; // the newest sample is at the right edge
        for (var i = 0; i < values.Count; i++)
        {
            var x = (offset + i) * step;
            var y = height - 2 - (values[i] / peak * (height - 4));
            html.Append(x.ToString("0.#", CultureInfo.InvariantCulture)).Append(',').Append(y.ToString("0.#", CultureInfo.InvariantCulture)).Append(' ');
        }

        html.Append("\"/>");
    }

    private static string Number(long value) => "<td class=\"n\">" + value.ToString("N0", CultureInfo.InvariantCulture) + "</td>";

    private static string Bytes(long value) => "<td class=\"n\">" + FormatBytes(value) + "</td>";

    private static string FormatBytes(double bytes) => bytes switch
    {
        < 1024 => bytes.ToString("0", CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        < 1024L * 1024 * 1024 => (bytes / 1024 / 1024).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024 / 1024 / 1024).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
    };

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);
}
