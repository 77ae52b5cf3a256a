// TRL's two kinds of dataset value: plain text, or a conversation (a list of {"role", "content"} messages) that the model's chat
// template turns into text. The prompt is rendered with the generation prompt; a completion is what rendering prompt ⧺ completion
// adds after the rendered prompt (so it carries the template's end-of-turn marker), as TRL does.
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.Templates;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Data;

/// <summary>Reading message lists from records and rendering them through a chat template.</summary>
public static class Conversation
{
    /// <summary>True when <paramref name="node"/> is a list (a conversation) rather than a string.</summary>
    public static bool IsConversational(JsonNode? node) => node is JsonArray;

    /// <summary>
    /// The messages of field <paramref name="field"/> of a record (copies): every element an object with a string "role" and a
    /// "content" that is a string or a list of parts ({"type": "text", "text": ...}); other fields (tool_calls, ...) are kept
    /// for the template. Throws InvalidDataException naming <paramref name="source"/>, the field and the message.
    /// </summary>
    public static List<JsonObject> Messages(JsonNode? node, string field, string source)
    {
        if (node is not JsonArray list) throw new InvalidDataException($"{source}: \"{field}\" must be a list of {{\"role\", \"content\"}} messages.");
        var result = new List<JsonObject>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m || !IsString(m["role"]) || !(IsString(m["content"]) || m["content"] is JsonArray))
                throw new InvalidDataException($"{source}: \"{field}\" message {i} needs a string \"role\" and a \"content\" that is a string or a list of parts, got {list[i]?.ToJsonString() ?? "null"}.");
            result.Add((JsonObject)m.DeepClone());
        }
        return result;
    }

    /// <summary>The role of a message read by <see cref="Messages"/>.</summary>
    public static string Role(JsonObject message) => message["role"]!.GetValue<string>();

    /// <summary>The string value of field <paramref name="field"/>, or an InvalidDataException naming the record.</summary>
    public static string Text(JsonNode? node, string field, string source) =>
        IsString(node) ? node!.GetValue<string>() : throw new InvalidDataException($"{source}: \"{field}\" must be a string or a list of messages.");

    /// <summary>The prompt text of <paramref name="messages"/>: the template's rendering with the generation prompt.</summary>
    public static string RenderPrompt(ChatTemplate? template, IReadOnlyList<JsonObject> messages, string source) =>
        Render(Require(template, source), messages, addGenerationPrompt: true, source);

    /// <summary>
    /// The completion text of <paramref name="completion"/> after <paramref name="prompt"/>: rendering(prompt ⧺ completion)
    /// with <paramref name="head"/>, the prompt's own rendering (<see cref="RenderPrompt"/>, which callers already hold),
    /// removed from its front. Fails, naming the record, when the template does not render the prompt as a prefix of the
    /// whole conversation.
    /// </summary>
    public static string RenderCompletion(ChatTemplate? template, IReadOnlyList<JsonObject> prompt, string head, IReadOnlyList<JsonObject> completion, string source)
    {
        string whole = Render(Require(template, source), [.. prompt, .. completion], addGenerationPrompt: false, source);
        if (!whole.StartsWith(head, StringComparison.Ordinal))
            throw new InvalidDataException($"{source}: the chat template does not render the prompt as the start of the conversation " +
                $"(prompt renders as {JsonSerializer.Serialize(head)}, the conversation starts {JsonSerializer.Serialize(whole[..Math.Min(whole.Length, head.Length + 20)])}); " +
                "its completion cannot be separated.");
        return whole[head.Length..];
    }

    /// <summary>The number of leading messages equal in both lists (TRL's implicit prompt of a conversational preference pair).</summary>
    public static int SharedPrefix(IReadOnlyList<JsonObject> a, IReadOnlyList<JsonObject> b)
    {
        int n = 0;
        while (n < a.Count && n < b.Count && JsonNode.DeepEquals(a[n], b[n])) n++;
        return n;
    }

    /// <summary>
    /// The length of the implicit prompt of two plain texts: their common prefix, ending before the space that precedes the
    /// first difference (so the completions keep their leading space), as TRL's extract_prompt splits standard examples.
    /// </summary>
    public static int SharedTextPrefix(string a, string b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        if (n == a.Length && n == b.Length) return n;
        if (n > 0 && a[n - 1] == ' ') n--;
        if (n > 0 && char.IsHighSurrogate(a[n - 1])) n--;
        return n;
    }

    // Template failures (raise_exception on roles that do not alternate, an unsupported construct) name the record as well.
    private static string Render(ChatTemplate template, IReadOnlyList<JsonObject> messages, bool addGenerationPrompt, string source)
    {
        try
        {
            return template.RenderJson(new JsonArray([.. messages.Select(m => m.DeepClone())]), addGenerationPrompt);
        }
        catch (TemplateException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    private static ChatTemplate Require(ChatTemplate? template, string source) => template
        ?? throw new InvalidDataException($"{source}: conversational records (lists of messages) need a chat template: the model's " +
            "tokenizer_config.json \"chat_template\", a chat_template.jinja beside it, or --chat-template.");

    private static bool IsString(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;
}
