// Tiny configurations of every architecture, for tests that need a model but no checkpoint.
using Rebel.Tensors;

namespace Rebel.Models.Tests;

internal static class TestModels
{
    public static IEnumerable<object[]> Architectures =>
    [
        [ModelArchitecture.Gpt2], [ModelArchitecture.Llama], [ModelArchitecture.Qwen2], [ModelArchitecture.GptNeoX],
    ];

    public static ModelConfig Config(ModelArchitecture arch) => arch switch
    {
        ModelArchitecture.Gpt2 => new ModelConfig { Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 2, KvHeads = 2, IntermediateSize = 40, MaxPositions = 64, EosTokenIds = [3] },
        ModelArchitecture.Llama => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 2, IntermediateSize = 24, MaxPositions = 64,
            TieWordEmbeddings = false, HiddenAct = "silu", RopeTheta = 500000, RopeScaling = new Llama3RopeScaling(8, 1, 4, 32), EosTokenIds = [3, 5], BosTokenId = 1,
        },
        ModelArchitecture.Qwen2 => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 1, IntermediateSize = 24, MaxPositions = 64,
            TieWordEmbeddings = true, AttentionBias = true, HiddenAct = "silu", RopeTheta = 1000000, EosTokenIds = [3],
        },
        _ => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 2, KvHeads = 2, IntermediateSize = 64, MaxPositions = 64,
            TieWordEmbeddings = false, RotaryPct = 0.25f, ParallelResidual = true, AttentionBias = true, HiddenAct = "gelu", EosTokenIds = [0],
        },
    };

    /// <summary>A model with random weights; biases and norm gains are randomised too so that every tensor matters.</summary>
    public static LanguageModel Create(ModelConfig config, ulong seed = 7)
    {
        var rng = new Rng(seed);
        var model = ModelFactory.Create(config, rng);
        foreach (var (name, p) in model.NamedParameters)
        {
            if (p.Rank == 1) rng.FillNormal(p.Span, name.Contains("norm", StringComparison.Ordinal) || name.Contains("ln_", StringComparison.Ordinal) ? 1f : 0f, 0.1f);
            else rng.FillNormal(p.Span, 0f, 0.3f);
        }
        return model;
    }

    public static LanguageModel Create(ModelArchitecture arch, ulong seed = 7) => Create(Config(arch), seed);

    public static float[] Logits(LanguageModel model, int[] ids, int batch, int[]? keyStart = null)
    {
        using var noGrad = Autograd.NoGrad();
        return model.Forward(ids, batch, ids.Length / batch, keyStart).ToArray();
    }
}
