// Exports a policy as a folder a user can load again (weights, config, tokenizer).
using Rebel.Models;
using Rebel.Models.Tokenization;

namespace Rebel.Training.Checkpointing;

/// <summary>Writes a model and its tokenizer to a folder, atomically.</summary>
public static class ModelExport
{
    /// <summary>Saves <paramref name="model"/> and <paramref name="tokenizer"/> into <paramref name="directory"/>.</summary>
    public static void Save(LanguageModel model, BpeTokenizer tokenizer, string directory) =>
        CheckpointDirectory.Write(directory, tmp =>
        {
            WeightFile.SaveModel(model, Path.Combine(tmp, "model.safetensors"));
            tokenizer.SaveFolder(tmp);
        });
}
