// TokenizerJsonReader: typed access to the parts of a tokenizer.json, with errors that name the file and the component.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Rebel.Models.Tokenization;

/// <summary>Reads values of tokenizer.json components; <see cref="Source"/> names the file in every error.</summary>
internal sealed class TokenizerJsonReader(string source)
{
    public string Source { get; } = source;

    public InvalidDataException Bad(string message) => new($"{Source}: {message}.");

    /// <summary>The error for a component type this library does not implement.</summary>
    public NotSupportedException Unsupported(string component, string type, string supported) =>
        new($"{Source}: {component} type \"{type}\" is not supported (supported: {supported}).");

    /// <summary>The "type" of a component object.</summary>
    public string TypeOf(JsonNode node, string component) =>
        node is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String
            ? t.GetValue<string>()
            : throw Bad($"{component} without a \"type\": {node.ToJsonString()}");

    public static bool Flag(JsonNode node, string key, bool fallback = false) => node[key] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        _ => fallback,
    };

    /// <summary>A string member; null when absent or JSON null.</summary>
    public static string? String(JsonNode node, string key) =>
        node[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public string RequiredString(JsonNode node, string key, string component) =>
        String(node, key) ?? throw Bad($"{component} needs a string \"{key}\"");

    public int Int(JsonNode node, string key, int fallback) => node[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out int i) => i,
        JsonValue v when v.TryGetValue(out double d) && d == Math.Floor(d) => (int)d,
        var other => throw Bad($"\"{key}\" is not an integer: {other.ToJsonString()}"),
    };

    /// <summary>The single character of a string member (Hugging Face stores chars as one-character strings).</summary>
    public string Char(JsonNode node, string key, string fallback, string component)
    {
        string value = String(node, key) ?? fallback;
        return value.Length is 1 or 2 && (value.Length == 1 || char.IsSurrogatePair(value, 0))
            ? value
            : throw Bad($"{component} \"{key}\" must be one character, not \"{value}\"");
    }

    /// <summary>A pattern {"String": s} (matched literally) or {"Regex": r} (Oniguruma syntax, see <see cref="PreTokenizerRegex"/>).</summary>
    public Regex Pattern(JsonNode node, string component)
    {
        return node["pattern"] switch
        {
            JsonObject p when String(p, "Regex") is { } r => PreTokenizerRegex.Create(r),
            JsonObject p when String(p, "String") is { } s => new Regex(Regex.Escape(s), RegexOptions.CultureInvariant),
            _ => throw Bad($"{component} needs a pattern {{\"Regex\": ...}} or {{\"String\": ...}}"),
        };
    }

    /// <summary>The members of a "Sequence" component.</summary>
    public JsonArray Children(JsonNode node, string key, string component) =>
        node[key] as JsonArray ?? throw Bad($"{component} Sequence needs an array \"{key}\"");
}
