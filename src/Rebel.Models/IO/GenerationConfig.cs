// GenerationConfig: the fields of generation_config.json that sampling needs.
using System.Text.Json.Nodes;

namespace Rebel.Models.IO;

/// <summary>Decoding defaults from a Hugging Face generation_config.json. Null means "not set".</summary>
public sealed record GenerationConfig
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "generation_config.json";

    /// <summary>End-of-sequence ids (the file may hold one id or a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Beginning-of-sequence id.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>Padding id.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Whether to sample (false: greedy).</summary>
    public bool? DoSample { get; init; }

    /// <summary>Softmax temperature.</summary>
    public float? Temperature { get; init; }

    /// <summary>Top-k cutoff (0 disables).</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus (top-p) cutoff.</summary>
    public float? TopP { get; init; }

    /// <summary>Maximum number of generated tokens.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary>Maximum total length (prompt + generation), the older setting.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Repetition penalty (1 disables).</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary>Reads generation_config.json.</summary>
    public static GenerationConfig Load(string path) => FromConfig(HfConfig.Load(path));

    /// <summary>Reads the generation fields of any config object (generation_config.json, or the same keys in config.json).</summary>
    public static GenerationConfig FromConfig(HfConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new GenerationConfig
        {
            EosTokenIds = config.GetIntOrIntArray("eos_token_id"),
            BosTokenId = config.GetIntOrNull("bos_token_id"),
            PadTokenId = config.GetIntOrNull("pad_token_id"),
            DoSample = config.Has("do_sample") ? config.GetBool("do_sample") : null,
            Temperature = config.GetFloatOrNull("temperature"),
            TopK = config.GetIntOrNull("top_k"),
            TopP = config.GetFloatOrNull("top_p"),
            MaxNewTokens = config.GetIntOrNull("max_new_tokens"),
            MaxLength = config.GetIntOrNull("max_length"),
            RepetitionPenalty = config.GetFloatOrNull("repetition_penalty"),
        };
    }

    /// <summary>The set fields as a config object (eos_token_id written as a single id when there is exactly one).</summary>
    public HfConfig ToConfig()
    {
        var c = new HfConfig();
        if (EosTokenIds.Count == 1) c.Set("eos_token_id", EosTokenIds[0]);
        else if (EosTokenIds.Count > 1) c.Set("eos_token_id", new JsonArray(EosTokenIds.Select(id => (JsonNode?)id).ToArray()));
        c.Set("bos_token_id", BosTokenId);
        c.Set("pad_token_id", PadTokenId);
        c.Set("do_sample", DoSample);
        c.Set("temperature", Temperature);
        c.Set("top_k", TopK);
        c.Set("top_p", TopP);
        c.Set("max_new_tokens", MaxNewTokens);
        c.Set("max_length", MaxLength);
        c.Set("repetition_penalty", RepetitionPenalty);
        return c;
    }

    /// <summary>Writes generation_config.json (atomically).</summary>
    public void Save(string path) => ToConfig().Save(path);
}
