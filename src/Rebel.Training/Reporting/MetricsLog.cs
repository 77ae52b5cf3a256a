// metrics.jsonl: one JSON object per iteration, appended and flushed so a crash loses at most the current line.
using System.Globalization;
using System.Text;

namespace Rebel.Training.Reporting;

/// <summary>Appends metric rows to a JSONL file and keeps them for the report.</summary>
public sealed class MetricsLog
{
    private readonly string? path;

    /// <summary>Rows logged so far (including rows read back on resume).</summary>
    public List<IReadOnlyDictionary<string, double>> Rows { get; } = [];

    /// <summary>Logs to <paramref name="path"/> (or only in memory when null). Existing rows are read back, so resumed runs extend the file.</summary>
    public MetricsLog(string? path, int keepUpToIteration = int.MaxValue)
    {
        this.path = path;
        if (path is null || !File.Exists(path)) return;
        var kept = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = Parse(line);
            if (row.TryGetValue("iteration", out var it) && it > keepUpToIteration) continue;
            Rows.Add(row);
            kept.Add(line);
        }
        File.WriteAllLines(path, kept);
    }

    /// <summary>Appends one row.</summary>
    public void Append(IReadOnlyDictionary<string, double> row)
    {
        Rows.Add(row);
        if (path is null) return;
        var sb = new StringBuilder("{");
        bool first = true;
        foreach (var (k, v) in row)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('"').Append(k).Append("\":").Append(double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null");
        }
        sb.Append('}');
        File.AppendAllText(path, sb + "\n");
    }

    private static Dictionary<string, double> Parse(string line)
    {
        var obj = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        var row = new Dictionary<string, double>();
        foreach (var (k, v) in obj) row[k] = v is null ? double.NaN : v.GetValue<double>();
        return row;
    }
}
