// ChatTemplate: renders a conversation as prompt text with a compiled Jinja chat template: the model's own (from
// tokenizer_config.json or chat_template.jinja) or one of our two built-ins, ChatML (Qwen2, SmolLM) and Llama-3.
using System.Text.Json.Nodes;
using Rebel.Models.Templates;

namespace Rebel.Models.Tokenization;

/// <summary>One chat turn.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// A Jinja chat template with the special tokens it is rendered with. Render's result carries its own BOS when the
/// template writes one: encode it with addSpecialTokens: false.
/// </summary>
public sealed partial record ChatTemplate
{
    private readonly JinjaTemplate template;
    private readonly string? knownEndOfTurn;

    private ChatTemplate(string source, string name, string? knownEndOfTurn)
    {
        template = JinjaTemplate.Parse(source, name);
        Source = source;
        Name = name;
        this.knownEndOfTurn = knownEndOfTurn;
    }

    /// <summary>The Jinja source.</summary>
    public string Source { get; }

    /// <summary>"chatml", "llama3", or where the template came from (a file path), as error messages name it.</summary>
    public string Name { get; }

    /// <summary>The template's bos_token (null: undefined in the template).</summary>
    public string? BosToken { get; init; }

    /// <summary>The template's eos_token (null: undefined in the template).</summary>
    public string? EosToken { get; init; }

    /// <summary>The template's pad_token (null: undefined in the template).</summary>
    public string? PadToken { get; init; }

    /// <summary>The template's unk_token (null: undefined in the template).</summary>
    public string? UnkToken { get; init; }

    /// <summary>
    /// The template's default_system_prompt variable: our built-ins insert it as a system turn when the conversation has
    /// none (Qwen2 uses "You are a helpful assistant."); model templates usually ignore it. Null: undefined.
    /// </summary>
    public string? DefaultSystemPrompt { get; init; }

    /// <summary>The time strftime_now(...) formats; null: the current local time (set it for reproducible output).</summary>
    public DateTime? Now { get; init; }

    /// <summary>ChatML: &lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n per turn.</summary>
    public static ChatTemplate ChatMl { get; } = new(BuiltIn("chatml"), "chatml", "<|im_end|>");

    /// <summary>Llama-3: &lt;|begin_of_text|&gt; then &lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt; per turn.</summary>
    public static ChatTemplate Llama3 { get; } = new(BuiltIn("llama3"), "llama3", "<|eot_id|>");

    /// <summary>
    /// Compiles a Jinja chat template; throws <see cref="TemplateException"/> naming <paramref name="sourceName"/> and the
    /// line of any construct the engine does not support.
    /// </summary>
    public static ChatTemplate FromJinja(string source, string? bosToken, string? eosToken, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        return new ChatTemplate(source, sourceName, null) { BosToken = bosToken, EosToken = eosToken };
    }

    /// <summary>
    /// Renders <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> the assistant header follows. Throws
    /// <see cref="TemplateException"/> when the template fails or rejects the conversation (raise_exception, e.g. roles that
    /// do not alternate); its message names the template and line.
    /// </summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role, ["content"] = m.Content }).ToList();
        return RenderValues(list, addGenerationPrompt);
    }

    /// <summary>
    /// Renders messages given as JSON objects, passed to the template as they are: besides "role" and "content" (a string or
    /// a list of parts such as {"type": "text", "text": ...}) they may carry any field the template reads (tool_calls, ...).
    /// Throws <see cref="TemplateException"/> as <see cref="Render(IReadOnlyList{ChatMessage}, bool)"/> does.
    /// </summary>
    public string RenderJson(JsonArray messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return RenderValues(JinjaValue.FromJson(messages), addGenerationPrompt);
    }

    /// <summary>
    /// The text that ends an assistant turn ("&lt;|im_end|&gt;", "&lt;|eot_id|&gt;"): known for the built-ins, otherwise read
    /// (best effort) from what the template writes after each of two assistant replies in a probe conversation, up to where
    /// the two continuations differ, trailing whitespace removed; null when that is nothing or the template fails on the probe.
    /// </summary>
    public string? EndOfTurn => knownEndOfTurn ?? ProbeEndOfTurn();

    private string RenderValues(object? messages, bool addGenerationPrompt)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        if (BosToken is not null) variables["bos_token"] = BosToken;
        if (EosToken is not null) variables["eos_token"] = EosToken;
        if (PadToken is not null) variables["pad_token"] = PadToken;
        if (UnkToken is not null) variables["unk_token"] = UnkToken;
        if (DefaultSystemPrompt is not null) variables["default_system_prompt"] = DefaultSystemPrompt;
        return template.Render(variables, Now);
    }

    // What the template writes after each of two assistant replies, up to where the two continuations part (trailing
    // whitespace removed): the turn's end marker for every chat format we know; null when nothing or the probe fails.
    private string? ProbeEndOfTurn()
    {
        const string First = "\u2063first-reply\u2063", Second = "\u2063second-reply\u2063";
        try
        {
            string text = Render([new("user", "a"), new("assistant", First), new("user", "b"), new("assistant", Second)], addGenerationPrompt: false);
            int first = text.IndexOf(First, StringComparison.Ordinal), second = text.IndexOf(Second, StringComparison.Ordinal);
            if (first < 0 || second < first) return null;
            var a = text.AsSpan(first + First.Length);
            var b = text.AsSpan(second + Second.Length);
            string common = a[..a.CommonPrefixLength(b)].ToString().TrimEnd();
            return common.Length == 0 ? null : common;
        }
        catch (TemplateException)
        {
            return null;
        }
    }

    private static string BuiltIn(string name)
    {
        using var stream = typeof(ChatTemplate).Assembly.GetManifestResourceStream($"Rebel.Models.ChatTemplates.{name}.jinja")
            ?? throw new InvalidOperationException($"Built-in chat template '{name}' is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
