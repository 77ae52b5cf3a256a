// Supervised datasets in TRL's formats: language modelling {"text"}; prompt-completion {"prompt", "completion"}, both strings
// or both message lists; conversational {"messages"}, whose last message must be the assistant's and is the completion.
// Conversational completions are rendered by the chat template (they end with its end-of-turn marker, so no EOS is added).
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>Reads supervised datasets (.jsonl, .json, .parquet) into <see cref="SftExample"/>s, reporting bad records with file and line or row.</summary>
public static class SftDataset
{
    /// <summary>Loads every record of <paramref name="path"/>; <paramref name="template"/> renders conversational records.</summary>
    public static IReadOnlyList<SftExample> Load(string path, ChatTemplate? template = null) =>
        [.. DataFile.Read(path).Select(r => FromRecord(r, template))];

    /// <summary>Parses one JSON Lines record.</summary>
    public static SftExample Parse(string line, string source, ChatTemplate? template = null) => FromRecord(DataFile.ParseLine(line, source), template);

    /// <summary>The example of one record.</summary>
    public static SftExample FromRecord(DataRecord record, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (fields, source) = (record.Fields, record.Source);
        if (fields["messages"] is { } node)
        {
            var messages = Conversation.Messages(node, "messages", source);
            if (messages.Count < 2 || Conversation.Role(messages[^1]) != "assistant")
                throw new InvalidDataException($"{source}: \"messages\" needs at least one message followed by a final assistant message (the completion).");
            return Conversational(template, messages[..^1], messages[^1..], source);
        }
        if (fields["prompt"] is { } prompt)
        {
            var completion = fields["completion"] ?? throw new InvalidDataException($"{source}: a \"prompt\" record needs a \"completion\" field.");
            if (Conversation.IsConversational(prompt) != Conversation.IsConversational(completion))
                throw new InvalidDataException($"{source}: \"prompt\" and \"completion\" must both be strings or both be lists of messages.");
            return Conversation.IsConversational(prompt)
                ? Conversational(template, Conversation.Messages(prompt, "prompt", source), Conversation.Messages(completion, "completion", source), source)
                : new SftExample(Conversation.Text(prompt, "prompt", source), Conversation.Text(completion, "completion", source));
        }
        if (fields["text"] is { } text) return new SftExample("", Conversation.Text(text, "text", source));
        throw new InvalidDataException($"{source}: expected \"text\", \"prompt\" and \"completion\", or \"messages\" (TRL's supervised formats).");
    }

    private static SftExample Conversational(ChatTemplate? template, List<JsonObject> prompt, List<JsonObject> completion, string source)
    {
        if (prompt.Count == 0) throw new InvalidDataException($"{source}: the conversation has no prompt messages before the completion.");
        string head = Conversation.RenderPrompt(template, prompt, source);
        return new SftExample(head, Conversation.RenderCompletion(template, prompt, head, completion, source), IsChat: true);
    }
}
