// The exact shapes of real checkpoints (the values of their config.json), for random-weight folders and speed figures.
using Rebel.Tensors;

namespace Rebel.Models;

public sealed partial record ModelConfig
{
    /// <summary>Names accepted by <see cref="Preset(string)"/>, smallest first.</summary>
    public static IReadOnlyList<string> CheckpointPresetNames { get; } = ["gpt2-124m", "pythia-160m", "smollm2-135m", "qwen2.5-0.5b", "llama-3.2-1b"];

    /// <summary>
    /// The shape of a published checkpoint, field for field as its config.json states it: "gpt2-124m" (openai-community/gpt2),
    /// "pythia-160m" (EleutherAI/pythia-160m), "smollm2-135m" (HuggingFaceTB/SmolLM2-135M), "qwen2.5-0.5b" (Qwen/Qwen2.5-0.5B)
    /// and "llama-3.2-1b" (meta-llama/Llama-3.2-1B, with its llama3 rope_scaling). Special-token ids are the checkpoints' own.
    /// </summary>
    public static ModelConfig Preset(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.ToLowerInvariant() switch
        {
            "gpt2-124m" => new ModelConfig
            {
                Architecture = ModelArchitecture.Gpt2, VocabSize = 50257, HiddenSize = 768, Layers = 12, Heads = 12, KvHeads = 12,
                IntermediateSize = 3072, MaxPositions = 1024, NormEps = 1e-5f, HiddenAct = "gelu_new", TieWordEmbeddings = true,
                BosTokenId = 50256, EosTokenIds = [50256],
            },
            "pythia-160m" => new ModelConfig
            {
                Architecture = ModelArchitecture.GptNeoX, VocabSize = 50304, HiddenSize = 768, Layers = 12, Heads = 12, KvHeads = 12,
                IntermediateSize = 3072, MaxPositions = 2048, NormEps = 1e-5f, HiddenAct = "gelu", TieWordEmbeddings = false,
                RotaryPct = 0.25f, RopeTheta = 10000, ParallelResidual = true, AttentionBias = true, BosTokenId = 0, EosTokenIds = [0],
            },
            "smollm2-135m" => new ModelConfig
            {
                Architecture = ModelArchitecture.Llama, VocabSize = 49152, HiddenSize = 576, Layers = 30, Heads = 9, KvHeads = 3,
                IntermediateSize = 1536, MaxPositions = 8192, NormEps = 1e-5f, HiddenAct = "silu", TieWordEmbeddings = true,
                RopeTheta = 100000, BosTokenId = 0, EosTokenIds = [0],
            },
            "qwen2.5-0.5b" => new ModelConfig
            {
                Architecture = ModelArchitecture.Qwen2, VocabSize = 151936, HiddenSize = 896, Layers = 24, Heads = 14, KvHeads = 2,
                IntermediateSize = 4864, MaxPositions = 32768, NormEps = 1e-6f, HiddenAct = "silu", TieWordEmbeddings = true,
                RopeTheta = 1000000, AttentionBias = true, BosTokenId = 151643, EosTokenIds = [151643],
            },
            "llama-3.2-1b" => new ModelConfig
            {
                Architecture = ModelArchitecture.Llama, VocabSize = 128256, HiddenSize = 2048, Layers = 16, Heads = 32, KvHeads = 8,
                IntermediateSize = 8192, MaxPositions = 131072, NormEps = 1e-5f, HiddenAct = "silu", TieWordEmbeddings = true,
                RopeTheta = 500000, RopeScaling = new Llama3RopeScaling(32f, 1f, 4f, 8192), BosTokenId = 128000, EosTokenIds = [128001],
            },
            _ => throw new ArgumentException($"Unknown checkpoint preset '{name}' (expected one of {string.Join(", ", CheckpointPresetNames)})."),
        };
    }
}
