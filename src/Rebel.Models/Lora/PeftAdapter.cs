// LoRA adapters in Hugging Face PEFT's folder format: adapter_config.json (LoraConfig's fields as PEFT writes them) and
// adapter_model.safetensors with keys "base_model.model.<module path>.lora_A.weight" / ".lora_B.weight" (no adapter name).
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rebel.Models.IO;
using Rebel.Tensors;

namespace Rebel.Models.Lora;

/// <summary>Saves and loads LoRA adapters as PEFT does, so PEFT's PeftModel.from_pretrained reads ours and we read PEFT's.</summary>
public static class PeftAdapter
{
    /// <summary>adapter_config.json.</summary>
    public const string ConfigFile = "adapter_config.json";

    /// <summary>adapter_model.safetensors.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The prefix PEFT puts before a module path in its saved keys (PeftModel.base_model is a LoraModel whose .model is the transformer).</summary>
    public const string KeyPrefix = "base_model.model.";

    /// <summary>True when <paramref name="directory"/> holds an adapter_config.json.</summary>
    public static bool IsAdapterFolder(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// Writes <paramref name="model"/>'s adapters to <paramref name="directory"/> (created if needed). <paramref name="baseModel"/>
    /// becomes base_model_name_or_path.
    /// </summary>
    public static void Save(LanguageModel model, string directory, string? baseModel)
    {
        var options = model.Lora ?? throw new InvalidOperationException("PeftAdapter.Save: the model has no LoRA adapters.");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ConfigFile), ConfigJson(options, model.LoraLayers.Any(l => l.FanInFanOut), baseModel).ToJsonString(Indented) + "\n");
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var l in model.LoraLayers)
        {
            tensors[l.KeyA] = TensorData.From(l.A);
            tensors[l.KeyB] = TensorData.From(l.B);
        }
        SafetensorsWriter.Write(Path.Combine(directory, WeightsFile), tensors);
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>adapter_config.json's object: every field PEFT's LoraConfig writes, with PEFT's values for what we do not vary.</summary>
    public static JsonObject ConfigJson(LoraOptions options, bool fanInFanOut, string? baseModel) => new()
    {
        ["alpha_pattern"] = new JsonObject(),
        ["auto_mapping"] = null,
        ["base_model_name_or_path"] = baseModel,
        ["bias"] = "none",
        ["fan_in_fan_out"] = fanInFanOut,
        ["inference_mode"] = true,
        ["init_lora_weights"] = true,
        ["layers_pattern"] = null,
        ["layers_to_transform"] = null,
        ["lora_alpha"] = options.Alpha,
        ["lora_dropout"] = options.Dropout,
        ["modules_to_save"] = null,
        ["peft_type"] = "LORA",
        ["r"] = options.Rank,
        ["rank_pattern"] = new JsonObject(),
        ["revision"] = null,
        ["target_modules"] = new JsonArray([.. options.Targets!.Select(t => (JsonNode?)t)]),
        ["task_type"] = "CAUSAL_LM",
        ["use_dora"] = false,
        ["use_rslora"] = false,
    };

    /// <summary>
    /// Reads adapter_config.json of <paramref name="directory"/> into options for <paramref name="model"/>; a string target_modules
    /// is a regular expression matched against whole module paths (PEFT's rule), resolved here to the matching paths.
    /// </summary>
    public static LoraOptions ReadOptions(string directory, LanguageModel model)
    {
        string path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"Adapter folder '{directory}' has no {ConfigFile}.", path);
        var config = HfConfig.Load(path);
        var json = config.Root;
        string peftType = config.GetString("peft_type", "") ?? "";
        if (peftType != "LORA") throw new InvalidDataException($"{path}: peft_type '{peftType}' is not LORA.");
        string bias = config.GetString("bias", "none") ?? "none";
        if (bias != "none") throw new InvalidDataException($"{path}: bias '{bias}' is not supported (only \"none\").");
        foreach (var key in new[] { "use_dora", "use_rslora", "lora_bias" })
            if (config.GetBool(key, false)) throw new InvalidDataException($"{path}: {key} is not supported.");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern" })
            if (config.GetObject(key) is { Root.Count: > 0 }) throw new InvalidDataException($"{path}: per-module {key} is not supported.");
        foreach (var key in new[] { "modules_to_save", "layers_to_transform", "exclude_modules", "target_parameters" })
            if (json[key] is JsonArray { Count: > 0 } or JsonValue) throw new InvalidDataException($"{path}: {key} is not supported.");
        List<string> targets = json["target_modules"] switch
        {
            JsonArray => [.. config.GetStringArray("target_modules")],
            JsonValue => Matching(model.LinearModules, TargetPattern(config)),
            _ => throw new InvalidDataException($"{path}: target_modules is missing."),
        };
        var options = new LoraOptions
        {
            Rank = config.GetInt("r", 8),
            Alpha = config.GetFloat("lora_alpha", 8f),
            Dropout = config.GetFloat("lora_dropout", 0f),
            Targets = targets,
        };
        try
        {
            options.Validate(path);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        return options;
    }

    private static List<string> Matching(IEnumerable<string> modules, Regex pattern) => [.. modules.Where(m => pattern.IsMatch(m))];

    // A string target_modules: a regular expression over whole module paths, its syntax errors reported against the file.
    private static Regex TargetPattern(HfConfig config)
    {
        string pattern = config.GetString("target_modules");
        try
        {
            return new Regex($"^(?:{pattern})$", RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{config.Source}: target_modules \"{pattern}\" is not a regular expression ({e.Message}).", e);
        }
    }

    /// <summary>
    /// Attaches the adapters saved in <paramref name="directory"/> to <paramref name="model"/> (which must have none) and reads their
    /// weights; every adapted layer's A and B must be in the file with the shapes the config implies.
    /// </summary>
    public static void Load(LanguageModel model, string directory)
    {
        var options = ReadOptions(directory, model);
        string path = Path.Combine(directory, WeightsFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"Adapter folder '{directory}' has no {WeightsFile}.", path);
        using var reader = SafetensorsReader.Open(path);
        // The rank sizes every adapter matrix: checked against the file's A matrices (r, in) before any is allocated.
        var a = reader.Tensors.FirstOrDefault(t => t.Name.Contains("lora_A", StringComparison.Ordinal));
        if (a is not null && (a.Shape.Length != 2 || a.Shape[0] != options.Rank))
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: r = {options.Rank}, but tensor '{a.Name}' has shape {Tensor.Format(a.Shape)} in {path}.");
        try
        {
            model.AddLora(options, new Rng(0));
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{Path.Combine(directory, ConfigFile)}: {e.Message}", e);
        }
        foreach (var l in model.LoraLayers)
        {
            ReadInto(reader, path, l.KeyA, l.A);
            ReadInto(reader, path, l.KeyB, l.B);
        }
    }

    private static void ReadInto(SafetensorsReader reader, string path, string key, Tensor destination)
    {
        if (!reader.Contains(key)) throw new InvalidDataException($"{path}: tensor '{key}' is missing.");
        var info = reader.GetInfo(key);
        if (!info.Shape.AsSpan().SequenceEqual(destination.Shape))
            throw new InvalidDataException($"{path}: tensor '{key}' has shape {Tensor.Format(info.Shape)}, expected {Tensor.Format(destination.Shape)}.");
        if (!destination.IsOnDevice)
        {
            reader.ReadInto(key, destination.Span);
            return;
        }
        var values = new float[destination.Size]; // an adapter on an accelerator: read on the host, then uploaded
        reader.ReadInto(key, values);
        destination.SetValues(values);
    }
}
