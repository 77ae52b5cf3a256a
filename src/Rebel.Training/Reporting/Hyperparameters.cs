// hyperparameters.json: the options record a run was trained with (every settable property, snake_case keys, enums as their
// flag words), with the algorithm's name first. Written into the run folder when a trainer starts; report.html and
// `rebel report` show it beside the curves, so two runs can be compared by what they were told to do as well as by what they did.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Rebel.Models.IO;
using Rebel.Tensors.Distributed;

namespace Rebel.Training.Reporting;

/// <summary>Writes and reads a run folder's hyperparameters.json.</summary>
public static class Hyperparameters
{
    /// <summary>The file's name inside a run folder.</summary>
    public const string FileName = "hyperparameters.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        // Only what can be set: derived read-only properties (e.g. the completions a method samples itself) are not options.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Kind != JsonTypeInfoKind.Object) return;
                    foreach (var property in info.Properties.Where(p => p.Set is null).ToList()) info.Properties.Remove(property);
                },
            },
        },
        WriteIndented = true,
    };

    /// <summary>
    /// The JSON object of <paramref name="options"/> (any options record: every property with a setter, snake_case, nested records as
    /// objects) after <c>"algorithm": <paramref name="algorithm"/></c>.
    /// </summary>
    public static JsonObject ToJson(string algorithm, object options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var json = new JsonObject { ["algorithm"] = algorithm };
        foreach (var (key, value) in JsonSerializer.SerializeToNode(options, options.GetType(), Json)!.AsObject().ToList())
            json[key] = value?.DeepClone();
        return json;
    }

    /// <summary>Writes <paramref name="directory"/>/hyperparameters.json (rank 0 of a data-parallel job only).</summary>
    public static void Write(string directory, string algorithm, object options)
    {
        if (!Collectives.IsRoot) return;
        AtomicFile.WriteText(Path.Combine(directory, FileName), ToJson(algorithm, options).ToJsonString(Json) + "\n");
    }

    /// <summary>
    /// The entries of <paramref name="directory"/>/hyperparameters.json in file order, nested objects flattened to dotted keys
    /// ("sampler.steps"), strings unquoted; empty when the file is absent. A file that is not a JSON object throws InvalidDataException naming it.
    /// </summary>
    public static List<(string Key, string Value)> Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        var entries = new List<(string, string)>();
        if (!File.Exists(path)) return entries;
        if (JsonFiles.ParseNode(File.ReadAllText(path), path, JsonFiles.Strict) is not JsonObject root)
            throw new InvalidDataException($"{path}: expected a JSON object of hyperparameters.");
        Flatten(root, "", entries);
        return entries;
    }

    private static void Flatten(JsonObject json, string prefix, List<(string, string)> entries)
    {
        foreach (var (key, value) in json)
        {
            if (value is JsonObject inner) Flatten(inner, prefix + key + ".", entries);
            else entries.Add((prefix + key, value switch
            {
                null => "null",
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => value.ToJsonString(),
            }));
        }
    }
}
