// Phi-3 (Phi3ForCausalLM: Phi-3, Phi-3.5, Phi-4-mini): Llama's block with a fused attention projection qkv_proj whose
// rows are [q (H·D) | k (Hkv·D) | v (Hkv·D)], a fused gate_up_proj whose rows are [gate (F) | up (F)], partial rotary
// (partial_rotary_factor of each head's channels), an optional sliding window, no biases, head tied or untied.
// Weight names equal Hugging Face's: model.layers.{i}.self_attn.qkv_proj.weight, model.layers.{i}.mlp.gate_up_proj.weight, …
using Rebel.Tensors;

namespace Rebel.Models.Architectures;

/// <summary>Phi-3 language model.</summary>
public sealed class Phi3Model : LanguageModel
{
    private readonly Tensor embed, norm;
    private readonly Tensor? lmHead;
    private readonly Block[] blocks;
    private readonly RotaryTable rotary;

    private sealed record Block(Tensor InputNorm, Tensor Qkv, Tensor O, Tensor PostNorm, Tensor GateUp, Tensor Down);

    /// <summary>Number of rotated channels per head: ⌊D · partial_rotary_factor⌋ (as Hugging Face computes it).</summary>
    public static int RotaryDims(ModelConfig config) => (int)(config.HeadDim * config.RotaryPct);

    /// <summary>Creates the parameters (zero) for <paramref name="config"/> (architecture Phi3).</summary>
    public Phi3Model(ModelConfig config) : base(config)
    {
        if (config.Architecture != ModelArchitecture.Phi3)
            throw new ArgumentException($"Phi3Model: architecture {config.Architecture} is not Phi3.");
        int c = config.HiddenSize, f = config.IntermediateSize, d = config.HeadDim, qkv = (config.Heads + 2 * config.KvHeads) * d;
        embed = Param("model.embed_tokens.weight", config.VocabSize, c);
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"model.layers.{i}.";
            blocks[i] = new Block(
                Param(p + "input_layernorm.weight", c),
                LinearParam(p + "self_attn.qkv_proj.weight", qkv, c),
                LinearParam(p + "self_attn.o_proj.weight", c, config.Heads * d),
                Param(p + "post_attention_layernorm.weight", c),
                LinearParam(p + "mlp.gate_up_proj.weight", 2 * f, c),
                LinearParam(p + "mlp.down_proj.weight", c, f));
        }
        norm = Param("model.norm.weight", c);
        lmHead = config.TieWordEmbeddings ? null : Param("lm_head.weight", config.VocabSize, c);
        int r = RotaryDims(config);
        if (r < 2) throw new ArgumentException($"Phi3Model: partial_rotary_factor {config.RotaryPct} of head size {d} rotates fewer than 2 channels.");
        rotary = new RotaryTable(r - r % 2, config.RopeTheta);
    }

    /// <inheritdoc />
    public override void Initialize(Rng rng)
    {
        foreach (var (name, p) in NamedParameters)
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.Span.Fill(1f);
            else rng.FillNormal(p.Span, 0f, 0.02f);
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
    {
        int past = ValidateInput(ids, batch, time, keyStart, cache);
        int h = Config.Heads, hkv = Config.KvHeads, d = Config.HeadDim, f = Config.IntermediateSize;
        var pos = PositionIds(batch, time, past, keyStart);
        var x = Ops.Embedding(embed, ids, batch, time); // (B, T, C)
        for (int i = 0; i < blocks.Length; i++)
        {
            var (blk, layerCache) = (blocks[i], cache?[i]);
            int window = Config.UsesSlidingWindow(i) ? Config.SlidingWindow!.Value : 0;
            x = TensorScope.Layer(x, x =>
            {
                var a = Ops.RmsNorm(x, blk.InputNorm, Config.NormEps); // (B, T, C)
                var qkv = Linear(a, blk.Qkv); // (B, T, (H + 2·Hkv)·D): [q | k | v]
                var q = Ops.Rotary(Ops.Slice(qkv, 2, 0, h * d), h, rotary, pos); // (B, T, H·D)
                var k = Ops.Rotary(Ops.Slice(qkv, 2, h * d, hkv * d), hkv, rotary, pos); // (B, T, Hkv·D)
                var v = Ops.Slice(qkv, 2, (h + hkv) * d, hkv * d); // (B, T, Hkv·D)
                var att = Ops.Attention(q, k, v, h, hkv, layerCache, keyStart, slidingWindow: window); // (B, T, H·D)
                x = Ops.Add(x, Linear(att, blk.O));
                var gateUp = Linear(Ops.RmsNorm(x, blk.PostNorm, Config.NormEps), blk.GateUp); // (B, T, 2F): [gate | up]
                var gated = Ops.Mul(Ops.Silu(Ops.Slice(gateUp, 2, 0, f)), Ops.Slice(gateUp, 2, f, f)); // (B, T, F)
                return Ops.Add(x, Linear(gated, blk.Down));
            });
        }
        return Ops.RmsNorm(x, norm, Config.NormEps);
    }

    /// <inheritdoc />
    public override Tensor Logits(Tensor hidden) => Ops.Linear(hidden, lmHead ?? embed);
}
