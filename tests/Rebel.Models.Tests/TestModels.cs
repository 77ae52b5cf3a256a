// Tiny configurations of every architecture, for tests that need a model but no checkpoint.
using Rebel.Tensors;

namespace Rebel.Models.Tests;

internal static class TestModels
{
    public static IEnumerable<object[]> Architectures =>
    [
        [ModelArchitecture.Gpt2], [ModelArchitecture.Llama], [ModelArchitecture.Qwen2], [ModelArchitecture.GptNeoX],
        [ModelArchitecture.Mistral], [ModelArchitecture.Qwen3], [ModelArchitecture.Phi3], [ModelArchitecture.Gemma2],
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
        ModelArchitecture.Mistral => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 6, IntermediateSize = 24, MaxPositions = 64,
            TieWordEmbeddings = false, HiddenAct = "silu", RopeTheta = 10000, SlidingWindow = 3, EosTokenIds = [2], BosTokenId = 1,
        },
        ModelArchitecture.Qwen3 => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 4, KvHeads = 2, HeadDim = 8, IntermediateSize = 24, MaxPositions = 64,
            TieWordEmbeddings = true, HiddenAct = "silu", RopeTheta = 1000000, EosTokenIds = [3],
        },
        ModelArchitecture.Phi3 => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 2, Heads = 2, KvHeads = 1, IntermediateSize = 24, MaxPositions = 64,
            TieWordEmbeddings = false, HiddenAct = "silu", RotaryPct = 0.75f, SlidingWindow = 4, EosTokenIds = [4],
        },
        ModelArchitecture.Gemma2 => new ModelConfig
        {
            Architecture = arch, VocabSize = 37, HiddenSize = 16, Layers = 3, Heads = 2, KvHeads = 1, HeadDim = 12, IntermediateSize = 24, MaxPositions = 64,
            HiddenAct = "gelu_pytorch_tanh", SlidingWindow = 3, QueryPreAttnScalar = 10, AttnLogitSoftcapping = 2, FinalLogitSoftcapping = 3, NormEps = 1e-6f,
            EosTokenIds = [1],
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
        float gain = config.Architecture == ModelArchitecture.Gemma2 ? 0f : 1f; // Gemma stores the gain minus one
        foreach (var (name, p) in model.NamedParameters)
        {
            if (p.Rank == 1) rng.FillNormal(p.Span, name.Contains("norm", StringComparison.Ordinal) || name.Contains("ln_", StringComparison.Ordinal) ? gain : 0f, 0.1f);
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
