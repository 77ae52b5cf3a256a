// The architecture-independent description of a causal language model, mirroring Hugging Face config.json fields.
using Rebel.Tensors;

namespace Rebel.Models;

/// <summary>Transformer families we implement, chosen by config.json's architectures / model_type.</summary>
public enum ModelArchitecture
{
    /// <summary>GPT2LMHeadModel: learned positions, LayerNorm, GELU (tanh), Conv1D weights, tied head.</summary>
    Gpt2,
    /// <summary>LlamaForCausalLM: RMSNorm, SwiGLU, rotary, grouped-query attention.</summary>
    Llama,
    /// <summary>Qwen2ForCausalLM: Llama with q/k/v biases.</summary>
    Qwen2,
    /// <summary>GPTNeoXForCausalLM (Pythia): partial rotary, parallel residual, interleaved qkv.</summary>
    GptNeoX,
    /// <summary>MistralForCausalLM: Llama with an optional sliding attention window.</summary>
    Mistral,
    /// <summary>Qwen3ForCausalLM: Llama with per-head RMSNorm on queries and keys (q_norm, k_norm).</summary>
    Qwen3,
    /// <summary>Phi3ForCausalLM: Llama-like with fused qkv_proj and gate_up_proj, partial rotary, optional sliding window.</summary>
    Phi3,
    /// <summary>Gemma2ForCausalLM: scaled embedding, (1 + w) RMSNorm before and after each sublayer, GeGLU, soft-capped scores and logits, sliding window on even layers.</summary>
    Gemma2,
}

/// <summary>Hyper-parameters of a causal LM (names follow Hugging Face's config.json where one exists).</summary>
public sealed partial record ModelConfig
{
    private readonly int? headDim;

    /// <summary>Which family.</summary>
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>V, vocabulary size.</summary>
    public required int VocabSize { get; init; }

    /// <summary>C, model width (hidden_size / n_embd).</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Number of transformer blocks.</summary>
    public required int Layers { get; init; }

    /// <summary>H, attention heads.</summary>
    public required int Heads { get; init; }

    /// <summary>Key/value heads (grouped-query attention); equals <see cref="Heads"/> for multi-head attention.</summary>
    public int KvHeads { get; init; }

    /// <summary>MLP inner width.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Longest sequence (max_position_embeddings / n_positions).</summary>
    public required int MaxPositions { get; init; }

    /// <summary>Epsilon of LayerNorm / RMSNorm.</summary>
    public float NormEps { get; init; } = 1e-5f;

    /// <summary>Output head shares the token embedding.</summary>
    public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Rotary base θ (rope_theta / rotary_emb_base).</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary>Llama-3 rotary scaling, if configured.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>Fraction of each head's channels that are rotated (GPT-NeoX rotary_pct; 1 elsewhere).</summary>
    public float RotaryPct { get; init; } = 1f;

    /// <summary>GPT-NeoX: attention and MLP read the same input (use_parallel_residual).</summary>
    public bool ParallelResidual { get; init; }

    /// <summary>Bias on the q/k/v projections (Qwen2; GPT-NeoX attention_bias).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Activation name from config.json (gelu_new, gelu, silu, …).</summary>
    public string HiddenAct { get; init; } = "gelu_new";

    /// <summary>Beginning-of-sequence token, if any.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence tokens (generation stops at any of them).</summary>
    public int[] EosTokenIds { get; init; } = [];

    /// <summary>Padding token, if any.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>
    /// D, channels per head: head_dim when set (Qwen3, Gemma-2, some Llama/Mistral checkpoints set it independently of the
    /// width), else HiddenSize / Heads. Configurations read from config.json set it only when it differs from that quotient.
    /// </summary>
    public int HeadDim { get => headDim ?? HiddenSize / Math.Max(Heads, 1); init => headDim = value; }

    /// <summary>Sliding attention window W (sliding_window): a query sees keys fewer than W positions back; null = full attention.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Gemma-2: scores are scaled by query_pre_attn_scalar^−½ instead of D^−½; null elsewhere.</summary>
    public float? QueryPreAttnScalar { get; init; }

    /// <summary>Gemma-2 attn_logit_softcapping c: scores become c·tanh(score/c) before the softmax; null = none.</summary>
    public float? AttnLogitSoftcapping { get; init; }

    /// <summary>Gemma-2 final_logit_softcapping c: logits become c·tanh(logit/c); null = none.</summary>
    public float? FinalLogitSoftcapping { get; init; }

    /// <summary>Whether layer <paramref name="layer"/> uses <see cref="SlidingWindow"/>: every layer, except Gemma-2 where only even layers do.</summary>
    public bool UsesSlidingWindow(int layer) => SlidingWindow is not null && (Architecture != ModelArchitecture.Gemma2 || layer % 2 == 0);

    /// <summary>Throws an ArgumentException naming the first inconsistent field.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"{source}: invalid model configuration: {what}.");
        }
        Require(VocabSize > 0, $"vocab size {VocabSize}");
        Require(HiddenSize > 0 && Heads > 0, $"hidden size {HiddenSize} with {Heads} heads");
        Require(headDim is not null || HiddenSize % Heads == 0, $"hidden size {HiddenSize} is not a multiple of {Heads} heads (and no head_dim is set)");
        Require(HeadDim > 0, $"head_dim {HeadDim}");
        Require(Architecture is not (ModelArchitecture.Gpt2 or ModelArchitecture.GptNeoX or ModelArchitecture.Phi3) || HeadDim * Heads == HiddenSize,
            $"{Architecture} needs head_dim × heads = hidden size ({HeadDim} × {Heads} ≠ {HiddenSize})");
        Require(SlidingWindow is null or > 0, $"sliding_window {SlidingWindow}");
        Require(QueryPreAttnScalar is null or > 0, $"query_pre_attn_scalar {QueryPreAttnScalar}");
        Require(AttnLogitSoftcapping is null or > 0, $"attn_logit_softcapping {AttnLogitSoftcapping}");
        Require(FinalLogitSoftcapping is null or > 0, $"final_logit_softcapping {FinalLogitSoftcapping}");
        Require(KvHeads > 0 && Heads % KvHeads == 0, $"{Heads} heads are not a multiple of {KvHeads} key/value heads");
        Require(Layers > 0, $"layers {Layers}");
        Require(IntermediateSize > 0, $"intermediate size {IntermediateSize}");
        Require(MaxPositions > 0, $"max positions {MaxPositions}");
        Require(RotaryPct > 0 && RotaryPct <= 1, $"rotary_pct {RotaryPct}");
    }

    /// <summary>Small from-scratch GPT-2 presets: "tiny" (about 1M parameters with a 2k vocabulary) and "small" (about 10M).</summary>
    public static ModelConfig Preset(string name, int vocabSize, int maxPositions = 256) => name.ToLowerInvariant() switch
    {
        "tiny" => new ModelConfig { Architecture = ModelArchitecture.Gpt2, VocabSize = vocabSize, HiddenSize = 128, Layers = 4, Heads = 4, KvHeads = 4, IntermediateSize = 512, MaxPositions = maxPositions },
        "small" => new ModelConfig { Architecture = ModelArchitecture.Gpt2, VocabSize = vocabSize, HiddenSize = 320, Layers = 8, Heads = 5, KvHeads = 5, IntermediateSize = 1280, MaxPositions = maxPositions },
        _ => throw new ArgumentException($"Unknown model preset '{name}' (expected tiny or small; checkpoint shapes {string.Join(", ", CheckpointPresetNames)} have their own vocabulary and come from ModelConfig.Preset(name))."),
    };
}
