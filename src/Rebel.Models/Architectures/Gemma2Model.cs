// Gemma 2 (Gemma2ForCausalLM): token embedding scaled by √C, RMSNorm with gain (1 + w), norms before and after both
// the attention and the MLP sublayer, rotary grouped-query attention with scores scaled by query_pre_attn_scalar^−½ and
// soft-capped (c·tanh(s/c)), a sliding window on even layers, GeGLU MLP (tanh GELU), soft-capped logits, tied head.
// Weight names equal Hugging Face's: model.layers.{i}.pre_feedforward_layernorm.weight, …
using Rebel.Tensors;

namespace Rebel.Models.Architectures;

/// <summary>Gemma 2 language model.</summary>
public sealed class Gemma2Model : LanguageModel
{
    private readonly Tensor embed, norm;
    private readonly Block[] blocks;
    private readonly RotaryTable rotary;
    private readonly bool exactGelu;

    private sealed record Block(Tensor InputNorm, Tensor Q, Tensor K, Tensor V, Tensor O, Tensor PostAttentionNorm,
        Tensor PreFeedforwardNorm, Tensor Gate, Tensor Up, Tensor Down, Tensor PostFeedforwardNorm);

    /// <summary>Creates the parameters (zero) for <paramref name="config"/> (architecture Gemma2, tied embeddings).</summary>
    public Gemma2Model(ModelConfig config) : base(config)
    {
        if (config.Architecture != ModelArchitecture.Gemma2)
            throw new ArgumentException($"Gemma2Model: architecture {config.Architecture} is not Gemma2.");
        if (!config.TieWordEmbeddings) throw new ArgumentException("Gemma2Model: an untied output head is not part of Gemma 2.");
        int c = config.HiddenSize, f = config.IntermediateSize, qw = config.Heads * config.HeadDim, kv = config.KvHeads * config.HeadDim;
        embed = Param("model.embed_tokens.weight", config.VocabSize, c);
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"model.layers.{i}.";
            blocks[i] = new Block(
                Param(p + "input_layernorm.weight", c),
                LinearParam(p + "self_attn.q_proj.weight", qw, c), LinearParam(p + "self_attn.k_proj.weight", kv, c),
                LinearParam(p + "self_attn.v_proj.weight", kv, c), LinearParam(p + "self_attn.o_proj.weight", c, qw),
                Param(p + "post_attention_layernorm.weight", c),
                Param(p + "pre_feedforward_layernorm.weight", c),
                LinearParam(p + "mlp.gate_proj.weight", f, c), LinearParam(p + "mlp.up_proj.weight", f, c), LinearParam(p + "mlp.down_proj.weight", c, f),
                Param(p + "post_feedforward_layernorm.weight", c));
        }
        norm = Param("model.norm.weight", c);
        rotary = new RotaryTable(config.HeadDim, config.RopeTheta);
        exactGelu = config.HiddenAct switch
        {
            "gelu" => true,
            "gelu_pytorch_tanh" or "gelu_new" or "gelu_fast" => false,
            _ => throw new ArgumentException($"Gemma2Model: hidden_activation '{config.HiddenAct}' is not supported (expected gelu_pytorch_tanh or gelu)."),
        };
    }

    /// <summary>Fills the weights with normal(0, 0.02); norm weights are 0, which is a gain of 1 in Gemma's (1 + w) form.</summary>
    public override void Initialize(Rng rng)
    {
        foreach (var (name, p) in NamedParameters)
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.Span.Clear();
            else rng.FillNormal(p.Span, 0f, 0.02f);
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
    {
        int past = ValidateInput(ids, batch, time, keyStart, cache);
        int h = Config.Heads, hkv = Config.KvHeads;
        float scale = 1f / MathF.Sqrt(Config.QueryPreAttnScalar ?? Config.HeadDim), softCap = Config.AttnLogitSoftcapping ?? 0;
        var pos = PositionIds(batch, time, past, keyStart);
        var x = Ops.Mul(Ops.Embedding(embed, ids, batch, time), MathF.Sqrt(Config.HiddenSize)); // (B, T, C)
        for (int i = 0; i < blocks.Length; i++)
        {
            var (blk, layerCache) = (blocks[i], cache?[i]);
            int window = Config.UsesSlidingWindow(i) ? Config.SlidingWindow!.Value : 0;
            x = TensorScope.Layer(x, x =>
            {
                var a = Norm(x, blk.InputNorm); // (B, T, C)
                var q = Ops.Rotary(Linear(a, blk.Q), h, rotary, pos); // (B, T, H·D)
                var k = Ops.Rotary(Linear(a, blk.K), hkv, rotary, pos); // (B, T, Hkv·D)
                var v = Linear(a, blk.V); // (B, T, Hkv·D)
                var att = Ops.Attention(q, k, v, h, hkv, layerCache, keyStart, slidingWindow: window, softCap: softCap, scale: scale); // (B, T, H·D)
                x = Ops.Add(x, Norm(Linear(att, blk.O), blk.PostAttentionNorm));
                var m = Norm(x, blk.PreFeedforwardNorm); // (B, T, C)
                var gate = Linear(m, blk.Gate); // (B, T, F)
                var gated = Ops.Mul(exactGelu ? Ops.GeluExact(gate) : Ops.Gelu(gate), Linear(m, blk.Up)); // (B, T, F)
                return Ops.Add(x, Norm(Linear(gated, blk.Down), blk.PostFeedforwardNorm));
            });
        }
        return Norm(x, norm);
    }

    /// <inheritdoc />
    public override Tensor Logits(Tensor hidden) // (…, C) → (…, V)
    {
        var logits = Ops.Linear(hidden, embed); // (…, V)
        return Config.FinalLogitSoftcapping is float cap ? Ops.Mul(Ops.Tanh(Ops.Mul(logits, 1f / cap)), cap) : logits;
    }

    // Gemma's RMSNorm: x / √(mean(x²) + eps) · (1 + w).
    private Tensor Norm(Tensor x, Tensor weight) => Ops.RmsNorm(x, Ops.Add(weight, 1f), Config.NormEps);
}
