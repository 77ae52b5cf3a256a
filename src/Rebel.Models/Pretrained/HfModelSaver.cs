// Saves a model as a Hugging Face folder: config.json, generation_config.json, model.safetensors (F32 or BF16, tied
// heads stored once), an optional value head (then a *ForSequenceClassification with num_labels 1 and the head as score.weight, as
// transformers loads reward models) and tokenizer files. Everything is written into a temporary sibling
// folder that then replaces the target, so a reader sees the old checkpoint or the new one, never a mixture. In a data-parallel
// job rank 0 alone writes (every rank holds the same parameters).
using System.Text.Json.Nodes;
using Rebel.Models.IO;
using Rebel.Models.Tokenization;
using Rebel.Tensors.Distributed;

namespace Rebel.Models.Pretrained;

/// <summary>Writes Hugging Face checkpoints.</summary>
public static class HfModelSaver
{
    /// <summary>
    /// Writes <paramref name="model"/> (and <paramref name="valueHead"/>) into <paramref name="directory"/>, replacing the
    /// folder if it exists. <paramref name="dtype"/> is F32 or BF16. The tokenizer files (tokenizer.json, tokenizer_config.json)
    /// are written when <paramref name="tokenizer"/> is given. Other ranks than 0 of a data-parallel job write nothing.
    /// </summary>
    public static void Save(LanguageModel model, string directory, SafetensorsDtype dtype = SafetensorsDtype.F32,
        ValueHead? valueHead = null, BpeTokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!Collectives.IsRoot) return;
        if (dtype is not (SafetensorsDtype.F32 or SafetensorsDtype.BF16))
            throw new ArgumentException($"HfModelSaver: cannot save as {SafetensorsDtypes.Name(dtype)}; use F32 or BF16.");
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            WriteFiles(model, temp, dtype, valueHead);
            tokenizer?.SaveFolder(temp);
            Replace(temp, full);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    private static void WriteFiles(LanguageModel model, string dir, SafetensorsDtype dtype, ValueHead? valueHead)
    {
        var config = model.Config;
        var hf = HfModelConfig.ToHf(config, dtype == SafetensorsDtype.BF16 ? "bfloat16" : "float32");
        if (valueHead is not null)
        {
            // A reward or preference model: transformers' *ForSequenceClassification with one label, whose head is score.weight.
            hf.Set("architectures", new JsonArray(HfModelConfig.ClassificationName(config.Architecture)));
            hf.Set("num_labels", 1);
        }
        hf.Save(Path.Combine(dir, HfConfig.FileName));
        new GenerationConfig { EosTokenIds = config.EosTokenIds, BosTokenId = config.BosTokenId, PadTokenId = config.PadTokenId }
            .Save(Path.Combine(dir, GenerationConfig.FileName));
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters) tensors.Add(name, TensorData.From(p));
        if (valueHead is not null)
        {
            if (valueHead.Weight.Shape[1] != config.HiddenSize)
                throw new ArgumentException($"HfModelSaver: value head width {valueHead.Weight.Shape[1]} differs from the model's hidden size {config.HiddenSize}.");
            foreach (var (name, p) in valueHead.NamedParameters) tensors.Add(ValueHead.ScorePrefix + name[valueHead.Prefix.Length..], TensorData.From(p));
        }
        SafetensorsWriter.Write(Path.Combine(dir, CheckpointFolder.SingleFileName), tensors, dtype);
    }

    // Moves the finished temporary folder into place; an existing target is moved aside first and deleted afterwards.
    private static void Replace(string temp, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        string old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
        Directory.Move(target, old);
        Directory.Move(temp, target);
        Directory.Delete(old, recursive: true);
    }
}
