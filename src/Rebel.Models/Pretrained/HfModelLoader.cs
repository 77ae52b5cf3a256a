// Loads a Hugging Face model folder (config.json, optional generation_config.json, safetensors weights in F32, F16
// or BF16, single file or sharded) into one of our architectures, checking every tensor name and shape.
using Rebel.Models.IO;

namespace Rebel.Models.Pretrained;

/// <summary>Reads Hugging Face checkpoints.</summary>
public static class HfModelLoader
{
    /// <summary>Reads config.json (and generation_config.json when present) of <paramref name="directory"/>.</summary>
    public static ModelConfig LoadConfig(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Model folder not found: {full}");
        var config = HfConfig.Load(Path.Combine(full, HfConfig.FileName));
        string genPath = Path.Combine(full, GenerationConfig.FileName);
        var generation = File.Exists(genPath) ? GenerationConfig.Load(genPath) : null;
        return HfModelConfig.FromHf(config, generation);
    }

    /// <summary>
    /// The model stored in <paramref name="directory"/>, architecture chosen by its config.json. With
    /// <paramref name="frozenBf16"/> the model comes frozen with its weight matrices held in bfloat16, read straight from the
    /// file (as <see cref="LanguageModel.FreezeToBf16"/> would leave it, but without the float32 weights ever being resident:
    /// a LoRA base at half the memory).
    /// </summary>
    public static LanguageModel Load(string directory, bool frozenBf16 = false)
    {
        var config = LoadConfig(directory);
        using var folder = CheckpointFolder.Open(directory);
        folder.CheckSizes(MinimumParameters(config), Path.Combine(folder.Directory, HfConfig.FileName));
        var model = ModelFactory.Create(config);
        LoadWeights(model, folder, frozenBf16);
        return model;
    }

    /// <summary>
    /// A lower bound on the parameters of any family with these sizes: per layer at least two MLP matrices (C × I) and the query
    /// and output projections (C × H·D), plus the token embedding (V × C) and, for GPT-2, the position embedding (P × C).
    /// </summary>
    public static double MinimumParameters(ModelConfig c)
    {
        double width = c.HiddenSize, perLayer = 2 * width * c.IntermediateSize + 2 * width * c.Heads * (double)c.HeadDim;
        double positions = c.Architecture == ModelArchitecture.Gpt2 ? (double)c.MaxPositions * width : 0;
        return c.Layers * perLayer + (double)c.VocabSize * width + positions;
    }

    /// <summary>The value head stored beside a model ("score.weight" or "v_head.summary.*"), or null when there is none.</summary>
    public static ValueHead? LoadValueHead(string directory, int hiddenSize)
    {
        using var folder = CheckpointFolder.Open(directory);
        string? prefix = folder.Contains(ValueHead.ScorePrefix + ".weight") ? ValueHead.ScorePrefix
            : folder.Contains(ValueHead.VHeadPrefix + ".weight") ? ValueHead.VHeadPrefix : null;
        if (prefix is null) return null;
        var head = new ValueHead(hiddenSize, prefix, folder.Contains(prefix + ".bias"));
        foreach (var (name, p) in head.NamedParameters) ReadParameter(folder, name, name, p);
        return head;
    }

    /// <summary>
    /// Fills every parameter of <paramref name="model"/> from <paramref name="folder"/>. GPT-2 names may lack the
    /// "transformer." prefix; known buffers (attention masks, rotary inverse frequencies), value-head tensors and a
    /// duplicated tied head are skipped. A missing tensor, a shape mismatch or any other extra tensor throws InvalidDataException.
    /// With <paramref name="frozenBf16"/> the model is frozen first and its weight matrices are read into bf16 storage.
    /// </summary>
    public static void LoadWeights(LanguageModel model, CheckpointFolder folder, bool frozenBf16 = false)
    {
        if (frozenBf16) model.FreezeToBf16Storage();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters)
        {
            string stored = folder.Contains(name) ? name
                : name.StartsWith("transformer.", StringComparison.Ordinal) && folder.Contains(name["transformer.".Length..]) ? name["transformer.".Length..]
                : throw new InvalidDataException($"{folder.Directory}: tensor '{name}' (shape {Rebel.Tensors.Tensor.Format(p.Shape)}) is missing from the checkpoint.");
            ReadParameter(folder, stored, name, p);
            used.Add(stored);
        }
        foreach (var name in folder.TensorNames)
        {
            if (used.Contains(name) || IsIgnorable(name, model.Config)) continue;
            throw new InvalidDataException($"{FileOf(folder, name)}: unexpected tensor '{name}' for a {model.Config.Architecture} model (not a parameter or a known buffer).");
        }
    }

    private static void ReadParameter(CheckpointFolder folder, string stored, string name, Rebel.Tensors.Tensor p)
    {
        var info = folder.GetInfo(stored);
        if (!info.Shape.AsSpan().SequenceEqual(p.Shape))
            throw new InvalidDataException($"{FileOf(folder, stored)}: tensor '{stored}' has shape {Rebel.Tensors.Tensor.Format(info.Shape)} but the configuration needs {Rebel.Tensors.Tensor.Format(p.Shape)} for '{name}'.");
        if (info.Dtype is not (SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F64))
            throw new InvalidDataException($"{FileOf(folder, stored)}: tensor '{stored}' has dtype {SafetensorsDtypes.Name(info.Dtype)}; expected a float type (F32, F16, BF16).");
        if (p.IsBf16) folder.ReadInto(stored, p.FreezeToBf16Storage());
        else folder.ReadInto(stored, p.Span);
    }

    private static bool IsIgnorable(string name, ModelConfig config) =>
        name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || name.EndsWith(".attention.bias", StringComparison.Ordinal) || name.EndsWith(".attention.masked_bias", StringComparison.Ordinal)
        || name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)
        || name.StartsWith(ValueHead.ScorePrefix + ".", StringComparison.Ordinal) || name.StartsWith("v_head.", StringComparison.Ordinal)
        || name == "lm_head.weight" && config.TieWordEmbeddings && config.Architecture != ModelArchitecture.GptNeoX;

    private static string FileOf(CheckpointFolder folder, string tensor)
    {
        foreach (var file in folder.WeightFiles)
        {
            using var reader = SafetensorsReader.Open(file);
            if (reader.Contains(tensor)) return file;
        }
        return folder.Directory;
    }
}
