// Prompt datasets: JSONL files whose lines are {"prompt": ...} (extra fields kept for rewards) or {"messages": [...]}.
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>One prompt and the rest of its JSON record (answers, reference responses, …).</summary>
/// <param name="Prompt">The text given to the model (already rendered through a chat template for "messages" records).</param>
/// <param name="Fields">The whole JSON object of the line.</param>
/// <param name="Source">"file:line" for error messages.</param>
public sealed record PromptRecord(string Prompt, JsonObject Fields, string Source)
{
    /// <summary>True for "messages" records, whose prompt was rendered by a chat template (which writes its own BOS).</summary>
    public bool IsChat => Fields["messages"] is not null;

    /// <summary>Token ids of the prompt; the tokenizer adds BOS only to plain prompts. Fails with the record's source when empty.</summary>
    public int[] Encode(ITokenizer tokenizer)
    {
        var ids = tokenizer.Encode(Prompt, addSpecialTokens: !IsChat);
        if (ids.Length == 0) throw new InvalidDataException($"{Source}: the prompt encodes to no tokens.");
        return ids;
    }

    /// <summary>The string value of <paramref name="field"/>, or null when absent.</summary>
    public string? Field(string field) => Fields[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var node => node.ToJsonString(),
    };
}

/// <summary>Reads prompt JSONL files, reporting malformed lines with file and line number.</summary>
public static class PromptDataset
{
    /// <summary>Loads every non-blank line of <paramref name="path"/>. <paramref name="renderMessages"/> turns a "messages" array into a prompt.</summary>
    public static IReadOnlyList<PromptRecord> Load(string path, Func<JsonArray, string>? renderMessages = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Prompt file '{path}' does not exist.", path);
        var records = new List<PromptRecord>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            records.Add(Parse(line, $"{path}:{lineNo}", renderMessages));
        }
        if (records.Count == 0) throw new InvalidDataException($"Prompt file '{path}' has no records.");
        return records;
    }

    /// <summary>Parses one JSONL line.</summary>
    public static PromptRecord Parse(string line, string source, Func<JsonArray, string>? renderMessages = null)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: malformed JSON: {e.Message}", e);
        }
        if (node is not JsonObject obj) throw new InvalidDataException($"{source}: expected a JSON object with a \"prompt\" or \"messages\" field.");
        if (obj["prompt"] is JsonValue pv && pv.TryGetValue<string>(out var prompt)) return new PromptRecord(prompt, obj, source);
        if (obj["messages"] is JsonArray messages)
        {
            if (renderMessages is null) throw new InvalidDataException($"{source}: \"messages\" records need a chat template (the model's tokenizer_config.json or --chat-template).");
            foreach (var m in messages)
                if (m is not JsonObject mo || mo["role"] is null || mo["content"] is null)
                    throw new InvalidDataException($"{source}: every message needs \"role\" and \"content\".");
            return new PromptRecord(renderMessages(messages), obj, source);
        }
        throw new InvalidDataException($"{source}: expected a string \"prompt\" field or a \"messages\" array.");
    }
}
