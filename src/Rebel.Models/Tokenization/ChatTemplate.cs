// ChatTemplate: renders chat messages in the two prompt formats our models use, ChatML (Qwen2, SmolLM) and Llama-3,
// chosen by name or detected from tokenizer_config.json's Jinja template (Jinja itself is not interpreted).
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Models.Tokenization;

/// <summary>One chat turn.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>The supported prompt formats.</summary>
public enum ChatFormat
{
    /// <summary>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</summary>
    ChatMl,

    /// <summary>&lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</summary>
    Llama3,
}

/// <summary>Renders a conversation as prompt text. Encode the result with addSpecialTokens: false (it carries its own BOS).</summary>
public sealed record ChatTemplate(ChatFormat Format)
{
    /// <summary>System prompt inserted when the conversation has none (Qwen2 uses "You are a helpful assistant."); null: none.</summary>
    public string? DefaultSystemPrompt { get; init; }

    /// <summary>ChatML.</summary>
    public static ChatTemplate ChatMl { get; } = new(ChatFormat.ChatMl);

    /// <summary>Llama-3.</summary>
    public static ChatTemplate Llama3 { get; } = new(ChatFormat.Llama3);

    /// <summary>The template named "chatml"/"qwen"/"qwen2" or "llama3"/"llama-3" (case-insensitive).</summary>
    public static ChatTemplate FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) switch
        {
            "chatml" or "qwen" or "qwen2" or "qwen25" or "qwen3" => ChatMl,
            "llama3" or "llama31" or "llama32" => Llama3,
            _ => throw new ArgumentException($"Unknown chat template \"{name}\"; use \"chatml\" or \"llama3\".", nameof(name)),
        };
    }

    /// <summary>The format whose markers a Jinja chat_template string uses, or null when it is neither.</summary>
    public static ChatTemplate? Detect(string? jinjaTemplate)
    {
        if (string.IsNullOrEmpty(jinjaTemplate)) return null;
        if (jinjaTemplate.Contains("<|start_header_id|>", StringComparison.Ordinal)) return Llama3;
        if (jinjaTemplate.Contains("<|im_start|>", StringComparison.Ordinal)) return ChatMl;
        return null;
    }

    /// <summary>Renders <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> the assistant header follows.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        bool hasSystem = messages.Count > 0 && messages[0].Role == "system";
        if (Format == ChatFormat.Llama3) sb.Append("<|begin_of_text|>");
        if (!hasSystem && DefaultSystemPrompt is not null) Append(sb, "system", DefaultSystemPrompt);
        foreach (var m in messages) Append(sb, m.Role, m.Content);
        if (addGenerationPrompt)
        {
            sb.Append(Format == ChatFormat.ChatMl ? "<|im_start|>assistant\n" : "<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return sb.ToString();
    }

    /// <summary>The text that ends an assistant turn: "&lt;|im_end|&gt;" or "&lt;|eot_id|&gt;".</summary>
    public string EndOfTurn => Format == ChatFormat.ChatMl ? "<|im_end|>" : "<|eot_id|>";

    /// <summary>Parses {"messages": [{"role", "content"}, ...]} or a bare array of messages.</summary>
    public static IReadOnlyList<ChatMessage> ParseMessages(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Chat messages are not valid JSON ({e.Message}).", e);
        }
        var list = (root is JsonObject o ? o["messages"] : root) as JsonArray
            ?? throw new InvalidDataException("Chat messages must be {\"messages\": [...]} or an array.");
        var result = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m || m["role"] is not JsonValue role || m["content"] is not JsonValue content)
                throw new InvalidDataException($"Chat message {i} needs string \"role\" and \"content\".");
            result.Add(new ChatMessage(role.GetValue<string>(), content.GetValue<string>()));
        }
        return result;
    }

    private void Append(StringBuilder sb, string role, string content)
    {
        if (Format == ChatFormat.ChatMl)
            sb.Append("<|im_start|>").Append(role).Append('\n').Append(content).Append("<|im_end|>\n");
        else
            sb.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n").Append(content.Trim()).Append("<|eot_id|>");
    }
}
