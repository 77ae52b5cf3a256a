// Supervised datasets: JSONL lines {"prompt": ..., "completion": ...} or {"messages": [...]}, where the last assistant
// message is the completion and the messages before it, rendered by the chat template, are the prompt.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Training.Data;

/// <summary>Reads supervised JSONL files into <see cref="SftExample"/>s, reporting malformed lines with file and line number.</summary>
public static class SftDataset
{
    /// <summary>Loads every non-blank line of <paramref name="path"/>. <paramref name="renderMessages"/> renders the prompt messages (with the generation prompt).</summary>
    public static IReadOnlyList<SftExample> Load(string path, Func<JsonArray, string>? renderMessages = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        var examples = new List<SftExample>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            examples.Add(Parse(line, $"{path}:{lineNo}", renderMessages));
        }
        if (examples.Count == 0) throw new InvalidDataException($"Data file '{path}' has no records.");
        return examples;
    }

    /// <summary>Parses one JSONL line.</summary>
    public static SftExample Parse(string line, string source, Func<JsonArray, string>? renderMessages = null)
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
        if (node is not JsonObject obj) throw new InvalidDataException($"{source}: expected a JSON object with \"prompt\" and \"completion\", or \"messages\".");
        if (obj["prompt"] is JsonValue pv && pv.TryGetValue<string>(out var prompt))
        {
            return obj["completion"] is JsonValue cv && cv.TryGetValue<string>(out var completion)
                ? new SftExample(prompt, completion)
                : throw new InvalidDataException($"{source}: a \"prompt\" record needs a string \"completion\" field.");
        }
        if (obj["messages"] is not JsonArray messages) throw new InvalidDataException($"{source}: expected a string \"prompt\" field or a \"messages\" array.");
        if (renderMessages is null) throw new InvalidDataException($"{source}: \"messages\" records need a chat template (the model's tokenizer_config.json or --chat-template).");
        int last = -1;
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject m || m["role"] is not JsonValue role || m["content"] is not JsonValue content
                || !role.TryGetValue<string>(out var r) || !content.TryGetValue<string>(out _))
                throw new InvalidDataException($"{source}: every message needs string \"role\" and \"content\".");
            if (r == "assistant") last = i;
        }
        if (last < 1) throw new InvalidDataException($"{source}: \"messages\" needs an assistant message after at least one other message.");
        var context = new JsonArray([.. messages.Take(last).Select(m => m!.DeepClone())]);
        return new SftExample(renderMessages(context), messages[last]!["content"]!.GetValue<string>(), IsChat: true);
    }
}
