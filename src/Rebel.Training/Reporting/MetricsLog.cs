// metrics.jsonl: one JSON object per iteration, appended and flushed so a crash loses at most the current line. In a data-parallel
// job each row is the mean over the processes' rows and rank 0 alone writes the file.
using System.Globalization;
using System.Text;
using Rebel.Models.IO;
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Reporting;

/// <summary>Appends metric rows to a JSONL file and keeps them for the report.</summary>
public sealed class MetricsLog
{
    private readonly string? path;

    /// <summary>Rows logged so far (including rows read back on resume).</summary>
    public List<IReadOnlyDictionary<string, double>> Rows { get; } = [];

    private bool replaceOnFirstAppend;

    private MetricsLog(string? path) => this.path = path;

    /// <summary>A new log at <paramref name="path"/> (or in memory when null); its first row replaces the file of an earlier run.</summary>
    public static MetricsLog Create(string? path) => new(path) { replaceOnFirstAppend = true };

    /// <summary>Continues the log at <paramref name="path"/>: rows up to <paramref name="keepUpToIteration"/> are kept, later ones dropped.</summary>
    public static MetricsLog Resume(string? path, int keepUpToIteration)
    {
        var log = new MetricsLog(path);
        if (path is null || !File.Exists(path)) return log;
        var kept = new List<string>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = Parse(line, path, number);
            if (row.TryGetValue("iteration", out var it) && it > keepUpToIteration) continue;
            log.Rows.Add(row);
            kept.Add(line);
        }
        if (Collectives.IsRoot) AtomicFile.WriteText(path, string.Concat(kept.Select(l => l + "\n")));
        return log;
    }

    /// <summary>Appends one row (in a job of several processes, every process appends and the row kept is the mean over them).</summary>
    public void Append(IReadOnlyDictionary<string, double> row)
    {
        row = MeanOverProcesses(row);
        Rows.Add(row);
        if (path is null || !Collectives.IsRoot) return;
        if (replaceOnFirstAppend && File.Exists(path)) File.Delete(path);
        replaceOnFirstAppend = false;
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

    // Every process logs the same metrics in the same order, each over its share of the batch (equal shares: the mean is the global one).
    private static IReadOnlyDictionary<string, double> MeanOverProcesses(IReadOnlyDictionary<string, double> row)
    {
        var job = Collectives.World;
        if (job.Size == 1) return row;
        var values = row.Values.ToArray();
        job.AllReduceMean(values);
        return row.Keys.Select((k, i) => (k, values[i])).ToDictionary(p => p.k, p => p.Item2);
    }

    /// <summary>The rows of a metrics.jsonl file, read only.</summary>
    public static List<IReadOnlyDictionary<string, double>> Read(string path) =>
        [.. File.ReadLines(path).Select((l, i) => (Line: l, Number: i + 1)).Where(l => !string.IsNullOrWhiteSpace(l.Line)).Select(l => Parse(l.Line, path, l.Number))];

    // One row; a line that is not an object of numbers throws InvalidDataException naming path:line.
    private static Dictionary<string, double> Parse(string line, string path, int number)
    {
        try
        {
            if (Rebel.Models.IO.JsonFiles.ParseNode(line, $"{path}:{number}", Rebel.Models.IO.JsonFiles.Strict) is not System.Text.Json.Nodes.JsonObject obj) throw new FormatException("not a JSON object");
            var row = new Dictionary<string, double>();
            foreach (var (k, v) in obj) row[k] = v is null ? double.NaN : v.GetValue<double>();
            return row;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}:{number}: not a metrics row ({e.Message}).", e);
        }
    }
}
