using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Gateway.Admin;

/// <summary>
/// A line chart as inline SVG, drawn on the server: a time axis ending now, a value axis from zero with its ticks,
/// and each series' last and highest value written above the plot. No script, no styles of its own beyond the
/// page's classes (s1..s4 for the series).
/// </summary>
internal static class SvgChart
{
    public const int Width = 460;
    public const int Height = 180;
    private const int Left = 64;
    private const int Right = 14;
    private const int Top = 40;
    private const int Bottom = 22;
    private const int PlotWidth = Width - Left - Right;
    private const int PlotHeight = Height - Top - Bottom;
    private const int ValueTicks = 4;

    /// <param name="Css">s1 to s4.</param>
    /// <param name="Points">Oldest first; a null value is a gap (no requests to take a latency from).</param>
    internal sealed record Series(string Name, string Css, IReadOnlyList<(DateTimeOffset At, double? Value)> Points);

    /// <param name="floor">The least the value axis shows, so a flat zero line does not stand for a full scale.</param>
    public static void Render(StringBuilder html, string id, string title, Func<double, string> format, double floor, TimeSpan window, TimeSpan tick,
        DateTimeOffset now, params Series[] series)
    {
        var from = now - window;
        var visible = series.Select(s => s with { Points = [.. s.Points.Where(p => p.At >= from && p.At <= now)] }).ToList();
        var values = visible.SelectMany(s => s.Points).Where(p => p.Value is not null).Select(p => p.Value!.Value).ToList();
        var top = NiceCeiling(Math.Max(floor, values.Count == 0 ? 0 : values.Max()));

        html.Append("<svg class=\"chart\" data-chart=\"").Append(Encode(id)).Append("\" width=\"").Append(Width).Append("\" height=\"").Append(Height)
            .Append("\" viewBox=\"0 0 ").Append(Width).Append(' ').Append(Height).Append("\" role=\"img\" aria-label=\"").Append(Encode(title)).Append("\"><title>")
            .Append(Encode(title)).Append("</title>")
            .Append("<text class=\"ct\" x=\"").Append(Left).Append("\" y=\"14\">").Append(Encode(title)).Append("</text>")
            .Append("<text class=\"cv\" x=\"").Append(Left).Append("\" y=\"30\">");
        foreach (var s in visible)
        {
            var known = s.Points.Where(p => p.Value is not null).Select(p => p.Value!.Value).ToList();
            html.Append("<tspan class=\"t").Append(s.Css[1..]).Append("\" data-series=\"").Append(Encode(s.Name)).Append("\">").Append(Encode(s.Name)).Append(": last ")
                .Append(known.Count == 0 ? "-" : Encode(format(known[^1]))).Append(", max ").Append(known.Count == 0 ? "-" : Encode(format(known.Max())))
                .Append("</tspan><tspan>   </tspan>");
        }

        html.Append("</text>");

        // Value axis: gridlines and labels from 0 to the top.
        for (var i = 0; i <= ValueTicks; i++)
        {
            var value = top * i / ValueTicks;
            var y = Y(value, top);
            html.Append("<line class=\"grid\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left + PlotWidth).Append("\" y1=\"").Append(F(y)).Append("\" y2=\"").Append(F(y)).Append("\"/>")
                .Append("<text class=\"ya\" x=\"").Append(Left - 5).Append("\" y=\"").Append(F(y + 4)).Append("\">").Append(Encode(format(value))).Append("</text>");
        }

        // Time axis: a tick every `tick`, labelled by how long ago.
        var ticks = (int)Math.Round(window / tick);
        for (var i = 0; i <= ticks; i++)
        {
            var ago = window - (tick * i);
            var x = X(now - ago, from, window);
            html.Append("<line class=\"axis\" x1=\"").Append(F(x)).Append("\" x2=\"").Append(F(x)).Append("\" y1=\"").Append(Top + PlotHeight).Append("\" y2=\"").Append(Top + PlotHeight + 4).Append("\"/>")
                .Append("<text class=\"xa\" x=\"").Append(F(x)).Append("\" y=\"").Append(Height - 6).Append("\">").Append(Ago(ago)).Append("</text>");
        }

        html.Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" y2=\"").Append(Top + PlotHeight).Append("\"/>")
            .Append("<line class=\"axis\" x1=\"").Append(Left).Append("\" x2=\"").Append(Left + PlotWidth).Append("\" y1=\"").Append(Top + PlotHeight).Append("\" y2=\"").Append(Top + PlotHeight).Append("\"/>");

        if (values.Count == 0)
        {
            html.Append("<text class=\"empty\" x=\"").Append(Left + (PlotWidth / 2)).Append("\" y=\"").Append(Top + (PlotHeight / 2)).Append("\">no data yet</text>");
        }

        foreach (var s in visible)
        {
            var path = new StringBuilder();
            var pen = 'M';
            (double X, double Y)? last = null;
            foreach (var (at, value) in s.Points)
            {
                if (value is not { } v)
                {
                    pen = 'M';
                    continue;
                }

                last = (X(at, from, window), Y(v, top));
                path.Append(pen).Append(F(last.Value.X)).Append(',').Append(F(last.Value.Y)).Append(' ');
                pen = 'L';
            }

            if (path.Length > 0)
            {
                html.Append("<path class=\"").Append(s.Css).Append("\" d=\"").Append(path.ToString().TrimEnd()).Append("\"/>");
            }

            if (last is { } point)
            {
                html.Append("<circle class=\"").Append(s.Css).Append("\" cx=\"").Append(F(point.X)).Append("\" cy=\"").Append(F(point.Y)).Append("\" r=\"2\"/>");
            }
        }

        html.Append("</svg>");
    }

    /// <summary>1, 2, 2.5 or 5 times a power of ten, at least <paramref name="value"/>: axis labels a reader can add up.</summary>
    internal static double NiceCeiling(double value)
    {
        if (value <= 0 || !double.IsFinite(value))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(value)));
        foreach (var step in (ReadOnlySpan<double>)[1, 2, 2.5, 5, 10])
        {
            if (step * power >= value * 0.999999)
            {
                return step * power;
            }
        }

        return 10 * power;
    }

    private static double X(DateTimeOffset at, DateTimeOffset from, TimeSpan window) => Left + (PlotWidth * ((at - from) / window));

    private static double Y(double value, double top) => Top + PlotHeight - (PlotHeight * Math.Clamp(value / top, 0, 1));

    private static string Ago(TimeSpan ago) => ago <= TimeSpan.Zero ? "now"
        : ago < TimeSpan.FromHours(1) ? "-" + ago.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min"
        : "-" + ago.TotalHours.ToString("0", CultureInfo.InvariantCulture) + " h";

    private static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Encode(string text) => HtmlEncoder.Default.Encode(text);
}
