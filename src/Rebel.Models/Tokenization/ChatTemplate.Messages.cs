// ChatTemplate.Messages: reading a conversation from JSON ({"messages": [...]} or a bare list of {"role", "content"}).
using System.Text.Json;
using System.Text.Json.Nodes;
using Rebel.Models.IO;

namespace Rebel.Models.Tokenization;

public sealed partial record ChatTemplate
{
    /// <summary>Parses {"messages": [{"role", "content"}, ...]} or a bare array of messages (string role and content).</summary>
    public static IReadOnlyList<ChatMessage> ParseMessages(string json)
    {
        var list = ParseMessageArray(json);
        var result = new List<ChatMessage>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m || m["role"] is not JsonValue role || m["content"] is not JsonValue content
                || role.GetValueKind() != JsonValueKind.String || content.GetValueKind() != JsonValueKind.String)
                throw new InvalidDataException($"Chat message {i} needs string \"role\" and \"content\".");
            result.Add(new ChatMessage(role.GetValue<string>(), content.GetValue<string>()));
        }
        return result;
    }

    /// <summary>
    /// The message array of {"messages": [...]} or a bare array, each message an object with a string "role" (content may
    /// be a string or a list of parts; other fields are kept), for <see cref="RenderJson"/>.
    /// </summary>
    public static JsonArray ParseMessageArray(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var root = JsonFiles.ParseNode(json, "Chat messages");
        var list = (root is JsonObject o ? o["messages"] : root) as JsonArray
            ?? throw new InvalidDataException("Chat messages must be {\"messages\": [...]} or an array.");
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is not JsonObject m || m["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String || !m.ContainsKey("content"))
                throw new InvalidDataException($"Chat message {i} needs a string \"role\" and a \"content\".");
        }
        return list;
    }
}
