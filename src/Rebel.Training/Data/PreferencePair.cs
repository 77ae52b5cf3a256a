// Preference datasets: JSONL lines {"prompt": ..., "chosen": ..., "rejected": ...} ("messages" may replace "prompt").
using System.Text.Json.Nodes;

namespace Rebel.Training.Data;

/// <summary>One labelled comparison: for <see cref="Prompt"/>, <see cref="Chosen"/> was preferred to <see cref="Rejected"/>.</summary>
public sealed record PreferencePair(PromptRecord Prompt, string Chosen, string Rejected)
{
    /// <summary>"file:line" for error messages.</summary>
    public string Source => Prompt.Source;
}

/// <summary>Reads preference JSONL files, reporting malformed lines with file and line number.</summary>
public static class PreferenceDataset
{
    /// <summary>Loads every non-blank line of <paramref name="path"/>.</summary>
    public static IReadOnlyList<PreferencePair> Load(string path, Func<JsonArray, string>? renderMessages = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Preference file '{path}' does not exist.", path);
        var pairs = new List<PreferencePair>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            pairs.Add(Parse(line, $"{path}:{lineNo}", renderMessages));
        }
        if (pairs.Count == 0) throw new InvalidDataException($"Preference file '{path}' has no records.");
        return pairs;
    }

    /// <summary>Parses one JSONL line; "chosen" and "rejected" must be strings.</summary>
    public static PreferencePair Parse(string line, string source, Func<JsonArray, string>? renderMessages = null)
    {
        var record = PromptDataset.Parse(line, source, renderMessages);
        string chosen = StringField(record, "chosen"), rejected = StringField(record, "rejected");
        return new PreferencePair(record, chosen, rejected);
    }

    private static string StringField(PromptRecord record, string name) =>
        record.Fields[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new InvalidDataException($"{record.Source}: expected a string \"{name}\" field (lines are {{\"prompt\", \"chosen\", \"rejected\"}}).");
}
