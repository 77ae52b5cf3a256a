// Preference datasets in TRL's formats: explicit prompt {"prompt", "chosen", "rejected"} and implicit prompt {"chosen",
// "rejected"} (the shared leading messages, or the shared leading text, is the prompt), each plain text or conversational.
using System.Text.Json.Nodes;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>One labelled comparison: for <see cref="Prompt"/>, <see cref="Chosen"/> was preferred to <see cref="Rejected"/>.</summary>
/// <param name="Prompt">The prompt record (its text rendered by the chat template when conversational).</param>
/// <param name="Chosen">The preferred completion's text.</param>
/// <param name="Rejected">The dispreferred completion's text.</param>
/// <param name="EndsTurn">True when the completions were rendered by the chat template and end with its end-of-turn marker (no EOS is added).</param>
public sealed record PreferencePair(PromptRecord Prompt, string Chosen, string Rejected, bool EndsTurn = false)
{
    /// <summary>"file:line" for error messages.</summary>
    public string Source => Prompt.Source;
}

/// <summary>Reads preference datasets (.jsonl, .json, .parquet), reporting bad records with file and line or row.</summary>
public static class PreferenceDataset
{
    /// <summary>Loads every record of <paramref name="path"/>; <paramref name="template"/> renders conversational records.</summary>
    public static IReadOnlyList<PreferencePair> Load(string path, ChatTemplate? template = null) =>
        [.. DataFile.Read(path, "Preference file").Select(r => FromRecord(r, template))];

    /// <summary>Parses one JSON Lines record.</summary>
    public static PreferencePair Parse(string line, string source, ChatTemplate? template = null) => FromRecord(DataFile.ParseLine(line, source), template);

    /// <summary>The pair of one record.</summary>
    public static PreferencePair FromRecord(DataRecord record, ChatTemplate? template = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        var (fields, source) = (record.Fields, record.Source);
        var chosen = fields["chosen"] ?? throw Missing(source, "chosen");
        var rejected = fields["rejected"] ?? throw Missing(source, "rejected");
        bool conversational = Conversation.IsConversational(chosen);
        if (conversational != Conversation.IsConversational(rejected))
            throw new InvalidDataException($"{source}: \"chosen\" and \"rejected\" must both be strings or both be lists of messages.");
        if (fields["prompt"] is null && fields["messages"] is null)
            return conversational ? ImplicitConversation(fields, template, source) : ImplicitText(fields, source);
        var prompt = PromptDataset.FromRecord(record, template);
        if (!conversational) return new PreferencePair(prompt, Conversation.Text(chosen, "chosen", source), Conversation.Text(rejected, "rejected", source));
        var promptMessages = fields["prompt"] is JsonArray p ? Conversation.Messages(p, "prompt", source)
            : fields["messages"] is JsonArray m ? Conversation.Messages(m, "messages", source)
            : throw new InvalidDataException($"{source}: conversational \"chosen\"/\"rejected\" need a conversational \"prompt\" (a list of messages).");
        string head = Conversation.RenderPrompt(template, promptMessages, source);
        return new PreferencePair(prompt,
            Conversation.RenderCompletion(template, promptMessages, head, Conversation.Messages(chosen, "chosen", source), source),
            Conversation.RenderCompletion(template, promptMessages, head, Conversation.Messages(rejected, "rejected", source), source), EndsTurn: true);
    }

    // {"chosen": [messages], "rejected": [messages]}: the messages both share from the start are the prompt.
    private static PreferencePair ImplicitConversation(JsonObject fields, ChatTemplate? template, string source)
    {
        var chosen = Conversation.Messages(fields["chosen"], "chosen", source);
        var rejected = Conversation.Messages(fields["rejected"], "rejected", source);
        int shared = Conversation.SharedPrefix(chosen, rejected);
        if (shared == 0) throw new InvalidDataException($"{source}: \"chosen\" and \"rejected\" share no leading messages, so there is no implicit prompt; add a \"prompt\" field.");
        if (shared == chosen.Count || shared == rejected.Count)
            throw new InvalidDataException($"{source}: one of \"chosen\" and \"rejected\" has no messages after the shared prompt.");
        var prompt = chosen[..shared];
        var record = new PromptRecord(Conversation.RenderPrompt(template, prompt, source), fields, source, IsChat: true);
        return new PreferencePair(record,
            Conversation.RenderCompletion(template, prompt, record.Prompt, chosen[shared..], source),
            Conversation.RenderCompletion(template, prompt, record.Prompt, rejected[shared..], source), EndsTurn: true);
    }

    // {"chosen": "text", "rejected": "text"}: the text both share from the start is the prompt.
    private static PreferencePair ImplicitText(JsonObject fields, string source)
    {
        string chosen = Conversation.Text(fields["chosen"], "chosen", source), rejected = Conversation.Text(fields["rejected"], "rejected", source);
        int shared = Conversation.SharedTextPrefix(chosen, rejected);
        if (shared == 0) throw new InvalidDataException($"{source}: \"chosen\" and \"rejected\" share no leading text, so there is no implicit prompt; add a \"prompt\" field.");
        if (shared == chosen.Length || shared == rejected.Length)
            throw new InvalidDataException($"{source}: one of \"chosen\" and \"rejected\" has no text after the shared prompt.");
        return new PreferencePair(new PromptRecord(chosen[..shared], fields, source), chosen[shared..], rejected[shared..]);
    }

    private static InvalidDataException Missing(string source, string field) =>
        new($"{source}: expected a \"{field}\" field (a string or a list of messages); preference records are {{\"prompt\", \"chosen\", \"rejected\"}} or {{\"chosen\", \"rejected\"}}.");
}
