// report.html: a self-contained page (no scripts, no external files) with summary figures, inline SVG curves of
// the logged metrics, and a table of sample completions. Rank 0 of a data-parallel job alone writes it.
using System.Globalization;
using System.Net;
using System.Text;
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Reporting;

/// <summary>Writes the run report.</summary>
public static partial class HtmlReport
{
    /// <summary>
    /// Writes <paramref name="path"/>: a title, summary rows, one SVG chart per metric key in <paramref name="curves"/> (x = iteration),
    /// and sample completions (prompt, completion, score, and optionally the completion before training).
    /// </summary>
    public static void Write(string path, string title, IReadOnlyList<(string Name, string Value)> summary,
        IReadOnlyList<IReadOnlyDictionary<string, double>> rows, IReadOnlyList<string> curves,
        IReadOnlyList<(string Prompt, string Completion, float Score, string? Before)> samples, string? extraHtml = null)
    {
        if (!Collectives.IsRoot) return;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}")
          .Append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}")
          .Append(".charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #ddd;padding:6px}pre{margin:0;white-space:pre-wrap}")
          .Append("</style></head><body><h1>").Append(E(title)).Append("</h1>");
        sb.Append("<table>");
        foreach (var (name, value) in summary) sb.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        sb.Append("</table>");
        if (extraHtml is not null) sb.Append(extraHtml);
        if (rows.Count > 0)
        {
            sb.Append("<h2>Training curves</h2><div class=\"charts\">");
            foreach (var key in curves) sb.Append(Chart(key, rows));
            sb.Append("</div>");
        }
        if (samples.Count > 0)
        {
            bool before = samples.Any(s => s.Before is not null);
            sb.Append("<h2>Sample completions</h2><table><tr><th>Prompt</th>").Append(before ? "<th>Before</th>" : "").Append("<th>After</th><th>Score</th></tr>");
            foreach (var s in samples)
            {
                sb.Append("<tr><td><pre>").Append(E(s.Prompt)).Append("</pre></td>");
                if (before) sb.Append("<td><pre>").Append(E(s.Before ?? "")).Append("</pre></td>");
                sb.Append("<td><pre>").Append(E(s.Completion)).Append("</pre></td><td>").Append(s.Score.ToString("G4", CultureInfo.InvariantCulture)).Append("</td></tr>");
            }
            sb.Append("</table>");
        }
        sb.Append("<p><small>Written by rebel on ").Append(DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture)).Append(".</small></p></body></html>\n");
        Rebel.Models.IO.AtomicFile.WriteText(path, sb.ToString());
    }

    /// <summary>An SVG line chart of metric <paramref name="key"/> against "iteration" (or row number).</summary>
    public static string Chart(string key, IReadOnlyList<IReadOnlyDictionary<string, double>> rows, string xKey = "iteration") =>
        Chart(key, [(key, [.. rows.Select((r, i) => (r.TryGetValue(xKey, out var x) ? x : i + 1, r.TryGetValue(key, out var y) ? y : double.NaN))])], xKey);

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
