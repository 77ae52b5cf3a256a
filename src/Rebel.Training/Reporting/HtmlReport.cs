// report.html: a self-contained page (no network, no external files; one small inline script) with summary figures, a chart of
// every logged metric grouped by its prefix (objective/, loss/, val/, time/, …) with hover read-outs and a smoothing slider, the
// run's hyperparameters and sample completions. The same page overlays several runs (`rebel report`). Rank 0 of a data-parallel
// job alone writes it.
using System.Globalization;
using System.Net;
using System.Text;
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Reporting;

/// <summary>One run of a report: its name in legends, its metrics rows and its hyperparameters.</summary>
/// <param name="Name">Name in legends and table headers.</param>
/// <param name="Rows">metrics.jsonl's rows.</param>
/// <param name="Hyperparameters">hyperparameters.json's entries (<see cref="Reporting.Hyperparameters.Read"/>), or none.</param>
public sealed record ReportRun(string Name, IReadOnlyList<IReadOnlyDictionary<string, double>> Rows, IReadOnlyList<(string Key, string Value)> Hyperparameters)
{
    /// <summary>
    /// Reads a run folder's metrics.jsonl and hyperparameters.json (optional), named <paramref name="name"/> (default the folder's
    /// name). A missing folder or metrics.jsonl throws naming it; a malformed line throws naming file and line.
    /// </summary>
    public static ReportRun Load(string directory, string? name = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Run folder '{directory}' does not exist.");
        string metrics = Path.Combine(directory, "metrics.jsonl");
        if (!File.Exists(metrics)) throw new FileNotFoundException($"Run folder '{directory}' has no metrics.jsonl (is it the --out folder of a training command?).", metrics);
        return new ReportRun(name ?? Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)),
            MetricsLog.Read(metrics), Reporting.Hyperparameters.Read(directory));
    }
}

/// <summary>Writes the run report.</summary>
public static partial class HtmlReport
{
    /// <summary>
    /// Writes <paramref name="path"/>: a title, summary rows, <paramref name="extraHtml"/>, a chart of every metric of
    /// <paramref name="rows"/> (x = iteration, else step, else row number; those named in <paramref name="curves"/> first, the rest grouped by
    /// prefix), the hyperparameters.json beside <paramref name="path"/> when there is one, and sample completions (prompt, completion,
    /// score, and optionally the completion before training).
    /// </summary>
    public static void Write(string path, string title, IReadOnlyList<(string Name, string Value)> summary,
        IReadOnlyList<IReadOnlyDictionary<string, double>> rows, IReadOnlyList<string> curves,
        IReadOnlyList<(string Prompt, string Completion, float Score, string? Before)> samples, string? extraHtml = null)
    {
        if (!Collectives.IsRoot) return;
        var run = new ReportRun("this run", rows, Hyperparameters.Read(Path.GetDirectoryName(Path.GetFullPath(path))!));
        var sb = new StringBuilder();
        sb.Append("<table>");
        foreach (var (name, value) in summary) sb.Append("<tr><th>").Append(E(name)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        sb.Append("</table>");
        if (extraHtml is not null) sb.Append(extraHtml);
        sb.Append(MetricsSection([run], curves)).Append(HyperparametersSection([run]));
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
        Rebel.Models.IO.AtomicFile.WriteText(path, Page(title, sb.ToString()));
    }

    /// <summary>
    /// Writes <paramref name="path"/>: the runs overlaid, each in its colour on every chart (every metric any of them logged, grouped by
    /// prefix), a table of the runs and their hyperparameters side by side with the rows that differ marked.
    /// </summary>
    public static void Write(string path, IReadOnlyList<(string Folder, ReportRun Run)> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("A report needs at least one run.", nameof(runs));
        if (!Collectives.IsRoot) return;
        var list = runs.Select(r => r.Run).ToList();
        string X(ReportRun r) => XKey(r.Rows) is { } key && r.Rows.Count > 0 ? r.Rows[^1][key].ToString("G6", CultureInfo.InvariantCulture) : "";
        var table = Table(["run", "folder", "rows logged", "last iteration or step"],
            runs.Select((r, i) => (IReadOnlyList<string>)[r.Run.Name, r.Folder, $"{r.Run.Rows.Count}", X(r.Run)]));
        string legend = string.Concat(list.Select((r, i) => $"<span style=\"color:{Colour(i)}\">■ {E(r.Name)}</span> "));
        Rebel.Models.IO.AtomicFile.WriteText(path, Page($"rebel report: {string.Join(", ", list.Select(r => r.Name))}",
            table + "<p>" + legend + "</p>" + MetricsSection(list, []) + HyperparametersSection(list)));
    }

    // The page around a body: style, the body, the script.
    private static string Page(string title, string body) =>
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + E(title) + "</title><style>" + Style + "</style></head><body><h1>" + E(title) + "</h1>"
        + body + "<p><small>Written by rebel on " + DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture) + ".</small></p><script>" + Script + "</script></body></html>\n";

    // The x axis of a metrics log: "iteration" (policy trainers), else "step" (step-based trainers), else none (row number).
    private static string? XKey(IReadOnlyList<IReadOnlyDictionary<string, double>> rows) =>
        rows.Any(r => r.ContainsKey("iteration")) ? "iteration" : rows.Any(r => r.ContainsKey("step")) ? "step" : null;

    // "Training curves": the smoothing slider, then one chart per metric (every run a line): the pinned ones first, the rest grouped
    // by the part of their name before '/' ("other" for names without one), groups and charts in order of first appearance.
    private static string MetricsSection(IReadOnlyList<ReportRun> runs, IReadOnlyList<string> pinned)
    {
        string? xKey = XKey([.. runs.SelectMany(r => r.Rows)]);
        var keys = runs.SelectMany(r => r.Rows).SelectMany(row => row.Keys).Distinct().Where(k => k != xKey)
            .Where(k => runs.Any(r => r.Rows.Any(row => row.TryGetValue(k, out var v) && double.IsFinite(v)))).ToList();
        if (keys.Count == 0) return "";
        var groups = new List<(string Name, List<string> Keys)>();
        var first = pinned.Where(keys.Contains).ToList();
        if (first.Count > 0) groups.Add(("main", first));
        foreach (var key in keys.Except(first))
        {
            string group = key.Contains('/', StringComparison.Ordinal) ? key[..key.IndexOf('/', StringComparison.Ordinal)] : "other";
            if (groups.FindIndex(g => g.Name == group) is var at && at >= 0) groups[at].Keys.Add(key);
            else groups.Add((group, [key]));
        }
        var sb = new StringBuilder("<h2>Training curves</h2><p class=\"controls\"><label>Smoothing <input type=\"range\" id=\"smoothing\" min=\"0\" max=\"0.99\" step=\"0.01\" value=\"0\"> <output id=\"smoothing-value\">0.00</output></label> <small>(exponential moving average, as TensorBoard's; hover a chart to read its values)</small></p>");
        foreach (var (name, groupKeys) in groups)
        {
            sb.Append("<h3>").Append(E(name)).Append("</h3><div class=\"charts\">");
            foreach (var key in groupKeys)
                sb.Append(Chart(key, [.. runs.Select(r => (r.Name, (IReadOnlyList<(double, double)>)[.. r.Rows.Select((row, i) => (xKey is not null && row.TryGetValue(xKey, out var x) ? x : i + 1, row.TryGetValue(key, out var y) ? y : double.NaN))]))], xKey ?? "row"));
            sb.Append("</div>");
        }
        return sb.ToString();
    }

    // "Hyperparameters": one row per key (in first-appearance order), one column per run; rows whose values differ between runs marked.
    private static string HyperparametersSection(IReadOnlyList<ReportRun> runs)
    {
        var keys = runs.SelectMany(r => r.Hyperparameters.Select(h => h.Key)).Distinct().ToList();
        if (keys.Count == 0) return "";
        var sb = new StringBuilder("<h2>Hyperparameters</h2><table class=\"hyperparameters\"><tr><th>name</th>");
        foreach (var run in runs) sb.Append("<th>").Append(runs.Count > 1 ? E(run.Name) : "value").Append("</th>");
        sb.Append("</tr>");
        foreach (var key in keys)
        {
            var values = runs.Select(r => r.Hyperparameters.Where(h => h.Key == key).Select(h => h.Value).FirstOrDefault() ?? "—").ToList();
            sb.Append(values.Distinct().Count() > 1 ? "<tr class=\"differs\">" : "<tr>").Append("<th>").Append(E(key)).Append("</th>");
            foreach (var value in values) sb.Append("<td>").Append(E(value)).Append("</td>");
            sb.Append("</tr>");
        }
        return sb.Append("</table>").ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
