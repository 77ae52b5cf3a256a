// HfConfig: a Hugging Face JSON file (config.json and friends) as a mutable JSON object with typed getters whose errors
// name the file and the key.
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rebel.Models.IO;

/// <summary>A JSON object from a Hugging Face folder (config.json, tokenizer_config.json, ...), read through typed getters.</summary>
public sealed class HfConfig
{
    /// <summary>The conventional model config file name.</summary>
    public const string FileName = "config.json";

    /// <summary>The underlying JSON object; edits are visible to the getters and to <see cref="Save"/>.</summary>
    public JsonObject Root { get; }

    /// <summary>Where the object came from (a path, or a description), used in error messages.</summary>
    public string Source { get; }

    /// <summary>Wraps an object. <paramref name="source"/> names it in error messages.</summary>
    public HfConfig(JsonObject root, string source = "<config>")
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = root;
        Source = source;
    }

    /// <summary>An empty config.</summary>
    public HfConfig()
        : this(new JsonObject())
    {
    }

    /// <summary>Reads a JSON object from a file (through <see cref="JsonFiles"/>: duplicate keys and invalid UTF-8 are errors).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    public static HfConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        return new HfConfig(JsonFiles.ReadObject(full, "Config file"), full);
    }

    /// <summary>Parses JSON text; <paramref name="source"/> names it in error messages.</summary>
    public static HfConfig Parse(string json, string source = "<config>") =>
        JsonFiles.ParseNode(json, source) is JsonObject obj ? new HfConfig(obj, source) : throw new InvalidDataException($"{source}: expected a JSON object at the top level.");

    /// <summary>Writes the object as indented JSON (atomically).</summary>
    public void Save(string path) => AtomicFile.WriteText(path, ToJson() + "\n");

    /// <summary>The object as indented JSON.</summary>
    public string ToJson() => Root.ToJsonString(JsonFiles.Indented);

    /// <summary>True when <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => Root[key] is not null;

    /// <summary>The raw node of <paramref name="key"/>, or null when missing or null.</summary>
    public JsonNode? this[string key]
    {
        get => Root[key];
        set => Root[key] = value;
    }

    /// <summary>A required integer.</summary>
    public int GetInt(string key) => AsInt(Required(key), key);

    /// <summary>An optional integer; <paramref name="defaultValue"/> when missing or null.</summary>
    public int GetInt(string key, int defaultValue) => Root[key] is { } n ? AsInt(n, key) : defaultValue;

    /// <summary>An optional integer; null when missing or null.</summary>
    public int? GetIntOrNull(string key) => Root[key] is { } n ? AsInt(n, key) : null;

    /// <summary>A required 64-bit integer.</summary>
    public long GetLong(string key) => AsLong(Required(key), key);

    /// <summary>An optional 64-bit integer.</summary>
    public long GetLong(string key, long defaultValue) => Root[key] is { } n ? AsLong(n, key) : defaultValue;

    /// <summary>A required number as float.</summary>
    public float GetFloat(string key) => AsFloat(Required(key), key);

    /// <summary>An optional number as float.</summary>
    public float GetFloat(string key, float defaultValue) => Root[key] is { } n ? AsFloat(n, key) : defaultValue;

    /// <summary>An optional number as float; null when missing or null.</summary>
    public float? GetFloatOrNull(string key) => Root[key] is { } n ? AsFloat(n, key) : null;

    /// <summary>A required number as double.</summary>
    public double GetDouble(string key) => AsDouble(Required(key), key);

    /// <summary>An optional number as double.</summary>
    public double GetDouble(string key, double defaultValue) => Root[key] is { } n ? AsDouble(n, key) : defaultValue;

    /// <summary>A required boolean.</summary>
    public bool GetBool(string key) => AsBool(Required(key), key);

    /// <summary>An optional boolean.</summary>
    public bool GetBool(string key, bool defaultValue) => Root[key] is { } n ? AsBool(n, key) : defaultValue;

    /// <summary>A required string.</summary>
    public string GetString(string key) => AsString(Required(key), key);

    /// <summary>An optional string; <paramref name="defaultValue"/> when missing or null.</summary>
    public string? GetString(string key, string? defaultValue) => Root[key] is { } n ? AsString(n, key) : defaultValue;

    /// <summary>A required array of strings (e.g. "architectures").</summary>
    public string[] GetStringArray(string key) => ArrayOf(key, AsString);

    /// <summary>A required array of integers.</summary>
    public int[] GetIntArray(string key) => ArrayOf(key, AsInt);

    /// <summary>A required array of numbers as floats.</summary>
    public float[] GetFloatArray(string key) => ArrayOf(key, AsFloat);

    /// <summary>An integer or an array of integers as an array (e.g. "eos_token_id"); empty when missing or null.</summary>
    public int[] GetIntOrIntArray(string key) => Root[key] switch
    {
        null => [],
        JsonArray => GetIntArray(key),
        var n => [AsInt(n, key)],
    };

    /// <summary>A nested object (e.g. "rope_scaling"), or null when missing or null.</summary>
    public HfConfig? GetObject(string key) => Root[key] switch
    {
        null => null,
        JsonObject o => new HfConfig(o, $"{Source} (\"{key}\")"),
        var n => throw Mistyped(key, n, "an object"),
    };

    /// <summary>Sets <paramref name="key"/> to a value (or removes it when null).</summary>
    public void Set(string key, JsonNode? value)
    {
        if (value is null) Root.Remove(key);
        else Root[key] = value;
    }

    private JsonNode Required(string key) =>
        Root[key] ?? throw new InvalidDataException($"{Source}: required key \"{key}\" is {(Root.ContainsKey(key) ? "null" : "missing")}.");

    private T[] ArrayOf<T>(string key, Func<JsonNode, string, T> convert)
    {
        var node = Required(key);
        if (node is not JsonArray array) throw Mistyped(key, node, "an array");
        var result = new T[array.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = convert(array[i] ?? throw new InvalidDataException($"{Source}: \"{key}\"[{i}] is null."), $"{key}[{i}]");
        return result;
    }

    private int AsInt(JsonNode node, string key)
    {
        long value = AsLong(node, key);
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Mistyped(key, node, "a 32-bit integer");
    }

    private long AsLong(JsonNode node, string key)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue(out long l)) return l;
            if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < 9e18) return (long)d;
        }
        throw Mistyped(key, node, "an integer");
    }

    private double AsDouble(JsonNode node, string key)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)) return d;
        throw Mistyped(key, node, "a finite number");
    }

    private float AsFloat(JsonNode node, string key) =>
        AsDouble(node, key) is var d && float.IsFinite((float)d) ? (float)d : throw Mistyped(key, node, "a number within float range");

    private bool AsBool(JsonNode node, string key) => node.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Mistyped(key, node, "a boolean"),
    };

    private string AsString(JsonNode node, string key) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Mistyped(key, node, "a string");

    private InvalidDataException Mistyped(string key, JsonNode node, string expected)
    {
        string text = node.ToJsonString();
        if (text.Length > 80) text = text[..80] + "...";
        return new InvalidDataException($"{Source}: \"{key}\" should be {expected} but is {text}.");
    }
}
