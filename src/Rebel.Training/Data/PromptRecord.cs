// Prompt datasets, in TRL's prompt-only formats: {"prompt": "text"} or {"prompt": [messages]}, and {"messages": [...]} (a
// conversation whose trailing assistant turn, if any, is left out of the prompt). Extra fields are kept for rewards.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>One prompt and the rest of its record (answers, reference responses, …).</summary>
/// <param name="Prompt">The text given to the model (already rendered through the chat template for conversational records).</param>
/// <param name="Fields">The whole record.</param>
/// <param name="Source">"file:line" (or "file:row N") for error messages.</param>
/// <param name="IsChat">True when the prompt was rendered by a chat template (which writes its own BOS).</param>
public sealed record PromptRecord(string Prompt, JsonObject Fields, string Source, bool IsChat = false)
{
    /// <summary>Token ids of the prompt; the tokenizer adds BOS only to plain prompts. Fails with the record's source when empty.</summary>
    public int[] Encode(ITokenizer tokenizer)
    {
        var ids = tokenizer.Encode(Prompt, addSpecialTokens: !IsChat);
        if (ids.Length == 0) throw new InvalidDataException($"{Source}: the prompt encodes to no tokens.");
        return ids;
    }

    /// <summary>The string value of <paramref name="field"/>, or null when absent (other values as JSON text).</summary>
    public string? Field(string field) => Fields[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var node => node.ToJsonString(),
    };
}

/// <summary>Reads prompt datasets (.jsonl, .json, .parquet), reporting malformed records with file and line or row.</summary>
public static class PromptDataset
{
    /// <summary>Loads every record of <paramref name="path"/>; <paramref name="template"/> renders conversational prompts.</summary>
    public static IReadOnlyList<PromptRecord> Load(string path, ChatTemplate? template = null) =>
        [.. DataFile.Read(path, "Prompt file").Select(r => FromRecord(r, template))];

    /// <summary>Parses one JSON Lines record.</summary>
    public static PromptRecord Parse(string line, string source, ChatTemplate? template = null) => FromRecord(DataFile.ParseLine(line, source), template);

    /// <summary>The prompt of a record: "prompt" (text or messages), else "messages".</summary>
    public static PromptRecord FromRecord(DataRecord record, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (fields, source) = (record.Fields, record.Source);
        if (fields["prompt"] is { } prompt)
        {
            return Conversation.IsConversational(prompt)
                ? new PromptRecord(Conversation.RenderPrompt(template, Conversation.Messages(prompt, "prompt", source), source), fields, source, IsChat: true)
                : new PromptRecord(Conversation.Text(prompt, "prompt", source), fields, source);
        }
        if (fields["messages"] is { } node)
        {
            var messages = Conversation.Messages(node, "messages", source);
            if (messages.Count > 0 && Conversation.Role(messages[^1]) == "assistant") messages.RemoveAt(messages.Count - 1);
            if (messages.Count == 0) throw new InvalidDataException($"{source}: \"messages\" has no message before the assistant's answer to use as the prompt.");
            return new PromptRecord(Conversation.RenderPrompt(template, messages, source), fields, source, IsChat: true);
        }
        throw new InvalidDataException($"{source}: expected a \"prompt\" field (a string or a list of messages) or a \"messages\" list.");
    }
}
