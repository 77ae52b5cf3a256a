// Dataset files as records: JSON Lines (.jsonl), a JSON array (.json) or Parquet (.parquet), chosen by extension. Every record
// carries "file:line" (JSON Lines, JSON) or "file:row N" (Parquet), so a bad record is reported where a user can find it.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;
using Rebel.Models.IO;

namespace Rebel.Training.Data;

/// <summary>One record of a dataset file: its JSON object and where it came from.</summary>
/// <param name="Fields">The record (Parquet rows are converted to the JSON object they would be in JSON Lines).</param>
/// <param name="Source">"file:line" or "file:row N", for error messages.</param>
public sealed record DataRecord(JsonObject Fields, string Source);

/// <summary>Reads the records of a dataset file in any of the supported formats.</summary>
public static class DataFile
{
    /// <summary>The extensions read, in the order the error message lists them.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jsonl", ".json", ".parquet"];

    /// <summary>
    /// The records of <paramref name="path"/>: one JSON object per non-blank line (.jsonl, also .ndjson and any other
    /// extension), a JSON array of objects (.json), or the rows of a Parquet file (.parquet). <paramref name="what"/> names
    /// the kind of file in errors ("Prompt file", "Data file", ...). Throws InvalidDataException naming the file and the
    /// line or row of the first malformed record, and when the file has no records.
    /// </summary>
    public static IReadOnlyList<DataRecord> Read(string path, string what = "Data file")
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
        var records = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".json" => ReadJsonArray(path),
            ".parquet" => ReadParquet(path),
            _ => ReadJsonLines(path),
        };
        if (records.Count == 0) throw new InvalidDataException($"{what} '{path}' has no records.");
        return records;
    }

    /// <summary>Parses one JSON Lines record; <paramref name="source"/> names it in errors.</summary>
    public static DataRecord ParseLine(string line, string source)
    {
        var node = JsonFiles.ParseNode(line, source, JsonFiles.Strict);
        return node is JsonObject obj ? new DataRecord(obj, source) : throw new InvalidDataException($"{source}: expected a JSON object, got {JsonFiles.Kind(node)}.");
    }

    // Lines decoded strictly: a byte that is not UTF-8 is reported at its line rather than read as U+FFFD.
    private static List<DataRecord> ReadJsonLines(string path)
    {
        var records = new List<DataRecord>();
        int lineNo = 0;
        using var text = new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        try
        {
            while (text.ReadLine() is { } line)
            {
                lineNo++;
                if (!string.IsNullOrWhiteSpace(line)) records.Add(ParseLine(line, $"{path}:{lineNo}"));
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 (after line {lineNo}: {e.Message}).", e);
        }
        return records;
    }

    // A top-level array read element by element, so each record knows the line it starts on.
    private static List<DataRecord> ReadJsonArray(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var records = new List<DataRecord>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        int line = 1;
        long counted = 0;
        int LineAt(long offset)
        {
            line += bytes.AsSpan((int)counted, (int)(offset - counted)).Count((byte)'\n');
            counted = offset;
            return line;
        }
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidDataException($"{path}: a .json dataset must be an array of objects (use .jsonl for one object per line).");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                string source = $"{path}:{LineAt(reader.TokenStartIndex)}";
                if (reader.TokenType != JsonTokenType.StartObject)
                    throw new InvalidDataException($"{source}: expected a JSON object, got {reader.TokenType}.");
                long start = reader.TokenStartIndex;
                reader.Skip();
                var node = JsonFiles.ParseNode(bytes.AsMemory((int)start, (int)(reader.BytesConsumed - start)), source);
                records.Add(new DataRecord((JsonObject)node!, source));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{(e.LineNumber ?? 0) + 1}: malformed JSON: {e.Message}", e);
        }
        return records;
    }

    private static List<DataRecord> ReadParquet(string path)
    {
        IList<Dictionary<string, object>> rows;
        using var stream = File.OpenRead(path);
        try
        {
            rows = ParquetSerializer.DeserializeUntypedAsync(stream).GetAwaiter().GetResult().Data;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable Parquet file ({e.Message}).", e);
        }
        var records = new List<DataRecord>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            string source = $"{path}:row {i + 1}";
            records.Add(new DataRecord((JsonObject)ToJson(rows[i], source)!, source));
        }
        return records;
    }

    // Parquet's untyped values (strings, numbers, nested structs as dictionaries, lists) as the JSON they stand for.
    private static JsonNode? ToJson(object? value, string source) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        byte[] bytes => JsonValue.Create(Encoding.UTF8.GetString(bytes)),
        IDictionary<string, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, ToJson(kv.Value, source)))),
        System.Collections.IDictionary map => new JsonObject(map.Keys.Cast<object>().Select(k => KeyValuePair.Create(Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture)!, ToJson(map[k], source)))),
        System.Collections.IEnumerable list => new JsonArray([.. list.Cast<object?>().Select(v => ToJson(v, source))]),
        DateTime or DateTimeOffset or DateOnly or TimeSpan or Guid => JsonValue.Create(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)),
        sbyte or byte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
        float or double or decimal or ulong => JsonValue.Create(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
        _ => throw new InvalidDataException($"{source}: a value of Parquet type {value.GetType().Name} cannot be read as JSON."),
    };
}
