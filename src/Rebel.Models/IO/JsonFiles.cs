// Shared JSON settings for the Hugging Face files this library reads and writes.
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Rebel.Models.IO;

internal static class JsonFiles
{
    /// <summary>Indented, with non-ASCII text written as is (as Python's json.dump(ensure_ascii=False) would).</summary>
    public static JsonSerializerOptions Indented { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Comments and trailing commas tolerated, as hand-edited config files sometimes have them.</summary>
    public static JsonDocumentOptions Lenient { get; } = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}
