// The one reading path for every JSON file this library reads (config.json, tokenizer files, safetensors headers and indexes,
// adapter configs, dataset records, ...) and the shared settings for the ones it writes. Reading checks everything System.Text.Json
// would otherwise only find later, far from the file: invalid UTF-8, duplicate keys, strings that are not valid Unicode (lone
// surrogate escapes). Every failure is an InvalidDataException naming the source, with the line when known.
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Rebel.Models.IO;

/// <summary>Strict reading of JSON files (errors name the file and line) and the shared writer settings.</summary>
public static class JsonFiles
{
    /// <summary>Indented, with non-ASCII text written as is (as Python's json.dump(ensure_ascii=False) would).</summary>
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Comments and trailing commas tolerated, as hand-edited config files sometimes have them; duplicate keys rejected.</summary>
    public static JsonDocumentOptions Lenient { get; } = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>Plain RFC 8259 JSON (as the safetensors header must be); duplicate keys rejected.</summary>
    public static JsonDocumentOptions Strict { get; } = new() { AllowDuplicateProperties = false };

    /// <summary>Reads the file at <paramref name="path"/> as a JSON object (<see cref="Lenient"/>); errors name the file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid JSON object.</exception>
    public static JsonObject ReadObject(string path, string what = "JSON file")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} not found: {path}", path);
        return ParseNode(File.ReadAllBytes(path), path) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object at the top level.");
    }

    /// <summary>Parses JSON text (<see cref="Lenient"/> unless <paramref name="options"/> says otherwise); <paramref name="source"/> names it in errors.</summary>
    public static JsonNode? ParseNode(string text, string source, JsonDocumentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseNode(Encoding.UTF8.GetBytes(text), source, options);
    }

    /// <summary>Parses UTF-8 JSON into a node tree, checked as <see cref="ParseDocument"/> checks it.</summary>
    public static JsonNode? ParseNode(ReadOnlyMemory<byte> utf8, string source, JsonDocumentOptions? options = null)
    {
        var document = ParseDocument(utf8, source, options);
        var root = document.RootElement;
        return root.ValueKind switch
        {
            JsonValueKind.Object => JsonObject.Create(root),
            JsonValueKind.Array => JsonArray.Create(root),
            JsonValueKind.Null => null,
            _ => JsonValue.Create(root),
        };
    }

    /// <summary>
    /// Parses UTF-8 JSON (a leading byte-order mark is skipped): the bytes must be valid UTF-8, keys unique within each object,
    /// and every string and key valid Unicode once unescaped. Throws InvalidDataException naming <paramref name="source"/>
    /// and the line of the first fault.
    /// </summary>
    public static JsonDocument ParseDocument(ReadOnlyMemory<byte> utf8, string source, JsonDocumentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var bytes = utf8.Span.StartsWith("\uFEFF"u8) ? utf8[3..] : utf8;
        if (!Utf8.IsValid(bytes.Span))
        {
            int at = FirstInvalidUtf8(bytes.Span);
            throw new InvalidDataException($"{source}:{LineOf(bytes.Span, at)}: not valid UTF-8 (byte {at}).");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, options ?? Lenient);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message}).", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message}).", e);
        }
        try
        {
            CheckStrings(document.RootElement);
        }
        catch (InvalidOperationException e)
        {
            document.Dispose();
            throw new InvalidDataException($"{source}: a string is not valid Unicode (a lone surrogate escape?): {e.Message}", e);
        }
        return document;
    }

    /// <summary>The kind of a node in words, for error messages ("a string", "an array", "null", ...).</summary>
    public static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            var k => k.ToString().ToLowerInvariant(),
        },
    };

    // Unescapes every key and string once, so an invalid one fails here rather than at first use.
    private static void CheckStrings(JsonElement element)
    {
        var pending = new Stack<JsonElement>();
        pending.Push(element);
        while (pending.TryPop(out var e))
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.String:
                    _ = e.GetString();
                    break;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray()) pending.Push(item);
                    break;
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        pending.Push(p.Value);
                    }
                    break;
            }
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int at = 0;
        while (at < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[at..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return at;
            at += consumed;
        }
        return at;
    }

    private static int LineOf(ReadOnlySpan<byte> bytes, int offset) => bytes[..Math.Min(offset, bytes.Length)].Count((byte)'\n') + 1;
}
