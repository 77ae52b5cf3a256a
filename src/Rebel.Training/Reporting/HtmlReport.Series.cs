// report.html's line charts: inline SVG with ticks and grid on both axes, one coloured line per series and a legend when there are
// several. They show without scripts; each line also carries its data (data-xs, data-ys) and each chart its scales (data-sx, data-sy)
// for the page's script (HtmlReport.Script.cs), which adds the hover read-out and the smoothing slider. Also plain HTML tables.
using System.Globalization;
using System.Text;

namespace Rebel.Training.Reporting;

/// <summary>Multi-series charts and tables for the run report.</summary>
public static partial class HtmlReport
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    private const int ChartWidth = 380, ChartHeight = 240, Left = 58, Right = 14, Top = 26, Bottom = 40, LegendWidth = 130;

    /// <summary>The colour of the <paramref name="index"/>-th series (and run) of a report.</summary>
    public static string Colour(int index) => Palette[index % Palette.Length];

    /// <summary>
    /// An SVG line chart titled <paramref name="title"/>: one coloured line per series (series <c>i</c> in <see cref="Colour"/>(i), so a
    /// series with no points keeps the colours of the others in place), ticks and grid lines at round values on both axes,
    /// <paramref name="xLabel"/> under the x axis, and a legend at the right when there are several series. Non-finite points are left out.
    /// </summary>
    public static string Chart(string title, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, string xLabel)
    {
        ArgumentNullException.ThrowIfNull(series);
        var finite = series.Select(s => s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList()).ToList();
        var all = finite.SelectMany(p => p).ToList();
        bool legend = series.Count > 1;
        int w = ChartWidth + (legend ? LegendWidth : 0), plotRight = ChartWidth - Right, plotBottom = ChartHeight - Bottom;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{w}\" height=\"{ChartHeight}\" viewBox=\"0 0 {w} {ChartHeight}\" xmlns=\"http://www.w3.org/2000/svg\"");
        if (all.Count == 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"><text x=\"{(Left + plotRight) / 2}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">{E(title)}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + plotRight) / 2}\" y=\"{ChartHeight / 2}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#888\">no finite values</text></svg>");
            return sb.ToString();
        }
        double x0 = all.Min(p => p.X), x1 = all.Max(p => p.X), y0 = all.Min(p => p.Y), y1 = all.Max(p => p.Y);
        if (x1 == x0) { x0 -= 0.5; x1 += 0.5; }
        double pad = y1 == y0 ? Math.Max(Math.Abs(y0) * 0.1, 0.5) : (y1 - y0) * 0.05;
        (y0, y1) = (y0 - pad, y1 + pad);
        double Sx(double x) => Left + (x - x0) / (x1 - x0) * (plotRight - Left);
        double Sy(double y) => plotBottom - (y - y0) / (y1 - y0) * (plotBottom - Top);
        sb.Append(CultureInfo.InvariantCulture, $" data-x-label=\"{E(xLabel)}\" data-sx=\"{x0:R},{x1:R},{Left},{plotRight}\" data-sy=\"{y0:R},{y1:R},{plotBottom},{Top}\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title><text x=\"{(Left + plotRight) / 2}\" y=\"16\" text-anchor=\"middle\" font-size=\"13\">{E(title)}</text>");
        sb.Append("<g font-size=\"10\" fill=\"#555\">");
        foreach (var (y, label) in Ticks(y0, y1, 5))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Sy(y):F1}\" x2=\"{plotRight}\" y2=\"{Sy(y):F1}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 5}\" y=\"{Sy(y) + 3:F1}\" text-anchor=\"end\">{label}</text>");
        }
        foreach (var (x, label) in Ticks(x0, x1, 5, integers: all.All(p => p.X == Math.Round(p.X))))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Sx(x):F1}\" y1=\"{Top}\" x2=\"{Sx(x):F1}\" y2=\"{plotBottom}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Sx(x):F1}\" y=\"{plotBottom + 13}\" text-anchor=\"middle\">{label}</text>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + plotRight) / 2}\" y=\"{ChartHeight - 6}\" text-anchor=\"middle\">{E(xLabel)}</text></g>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotRight - Left}\" height=\"{plotBottom - Top}\" fill=\"none\" stroke=\"#999\"/>");
        for (int s = 0; s < series.Count; s++)
        {
            var points = finite[s];
            if (points.Count > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<polyline class=\"line\" fill=\"none\" stroke=\"{Colour(s)}\" stroke-width=\"1.5\" data-name=\"{E(series[s].Name)}\" data-xs=\"");
                sb.AppendJoin(',', points.Select(p => p.X.ToString("R", CultureInfo.InvariantCulture))).Append("\" data-ys=\"");
                sb.AppendJoin(',', points.Select(p => p.Y.ToString("R", CultureInfo.InvariantCulture))).Append("\" points=\"");
                sb.AppendJoin(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Sx(p.X):F1},{Sy(p.Y):F1}"))).Append("\"/>");
                if (points.Count == 1) sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Sx(points[0].X):F1}\" cy=\"{Sy(points[0].Y):F1}\" r=\"2.5\" fill=\"{Colour(s)}\"/>");
            }
            if (legend)
            {
                string name = series[s].Name.Length > 18 ? series[s].Name[..17] + "…" : series[s].Name;
                sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{ChartWidth + 4}\" y=\"{Top + 10 + 14 * s}\" font-size=\"11\" fill=\"{Colour(s)}\"><title>{E(series[s].Name)}</title>{E(name)}</text>");
            }
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>
    /// Ticks at round values (1, 2 or 5 times a power of ten apart, about <paramref name="target"/> of them) inside [<paramref name="lo"/>,
    /// <paramref name="hi"/>], each with its label: as many decimals as the step needs, exponent form for very large or small values.
    /// With <paramref name="integers"/> (an axis of iterations or steps) the step is at least 1.
    /// </summary>
    public static List<(double Value, string Label)> Ticks(double lo, double hi, int target, bool integers = false)
    {
        if (!(hi > lo) || !double.IsFinite(lo) || !double.IsFinite(hi)) return [];
        double raw = (hi - lo) / Math.Max(1, target), magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw))), norm = raw / magnitude;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
        if (integers) step = Math.Max(step, 1);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        bool exponent = Math.Max(Math.Abs(lo), Math.Abs(hi)) >= 1e6 || decimals > 5;
        var ticks = new List<(double, string)>();
        for (long k = (long)Math.Ceiling(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
        {
            double v = Math.Round(k * step, Math.Min(15, decimals));
            if (v == 0) v = 0; // no "-0"
            ticks.Add((v, v.ToString(exponent ? "0.##E+0" : "F" + decimals, CultureInfo.InvariantCulture)));
        }
        return ticks;
    }

    /// <summary>An HTML table with a header row.</summary>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var sb = new StringBuilder("<table><tr>");
        foreach (var h in header) sb.Append("<th>").Append(E(h)).Append("</th>");
        sb.Append("</tr>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var cell in row) sb.Append("<td>").Append(E(cell)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }
}
