// report.html pieces for comparisons: a line chart of several series on shared axes, and a plain HTML table.
using System.Globalization;
using System.Text;

namespace Rebel.Training.Reporting;

/// <summary>Multi-series charts and tables for the run report.</summary>
public static partial class HtmlReport
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    /// <summary>An SVG line chart titled <paramref name="title"/> with one coloured line per series and a legend when there are several.</summary>
    public static string Chart(string title, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, string xLabel)
    {
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        const int h = 200, left = 48, bottom = 28, top = 22, right = 10, legend = 110;
        int w = series.Count > 1 ? 340 + legend : 340, plotRight = series.Count > 1 ? w - legend : w - right;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(left + plotRight) / 2}\" y=\"15\" text-anchor=\"middle\" font-size=\"13\">{E(title)}</text>");
        if (all.Count > 0)
        {
            double x0 = all.Min(p => p.X), x1 = all.Max(p => p.X), y0 = all.Min(p => p.Y), y1 = all.Max(p => p.Y);
            if (x1 == x0) x1 = x0 + 1;
            if (y1 == y0) { y0 -= 0.5; y1 += 0.5; }
            double Sx(double x) => left + (x - x0) / (x1 - x0) * (plotRight - left);
            double Sy(double y) => h - bottom - (y - y0) / (y1 - y0) * (h - bottom - top);
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{plotRight}\" y2=\"{h - bottom}\" stroke=\"#999\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#999\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 4}\" text-anchor=\"end\" font-size=\"10\">{y1:G3}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{h - bottom}\" text-anchor=\"end\" font-size=\"10\">{y0:G3}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{h - 8}\" font-size=\"10\">{x0:G4}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{plotRight}\" y=\"{h - 8}\" text-anchor=\"end\" font-size=\"10\">{E(xLabel)} {x1:G4}</text>");
            for (int s = 0; s < series.Count; s++)
            {
                string colour = Palette[s % Palette.Length];
                sb.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"");
                foreach (var p in series[s].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))) sb.Append(CultureInfo.InvariantCulture, $"{Sx(p.X):F1},{Sy(p.Y):F1} ");
                sb.Append("\"/>");
                if (series.Count > 1)
                    sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{plotRight + 8}\" y=\"{top + 12 + 14 * s}\" font-size=\"11\" fill=\"{colour}\">{E(series[s].Name)}</text>");
            }
        }
        sb.Append("</svg>");
        return sb.ToString();
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
