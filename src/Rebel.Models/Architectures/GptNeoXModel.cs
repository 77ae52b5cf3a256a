// GPT-NeoX (GPTNeoXForCausalLM, the Pythia models): LayerNorm with bias, a fused query_key_value projection whose
// output rows are interleaved per head as [H, 3, D], partial rotary (rotary_pct of each head's channels), GELU MLP,
// parallel residual x + attn(ln1(x)) + mlp(ln2(x)) or the sequential variant, untied embed_out head.
// Weight names equal Hugging Face's: gpt_neox.embed_in.weight, gpt_neox.layers.{i}.attention.query_key_value.weight, …
using Rebel.Tensors;

namespace Rebel.Models.Architectures;

/// <summary>GPT-NeoX language model.</summary>
public sealed class GptNeoXModel : LanguageModel
{
    private readonly Tensor embedIn, lnFW, lnFB, embedOut;
    private readonly Block[] blocks;
    private readonly RotaryTable rotary;
    private readonly bool exactGelu;

    private sealed record Block(Tensor Ln1W, Tensor Ln1B, Tensor QkvW, Tensor? QkvB, Tensor DenseW, Tensor? DenseB,
        Tensor Ln2W, Tensor Ln2B, Tensor UpW, Tensor UpB, Tensor DownW, Tensor DownB);

    /// <summary>Number of rotated channels per head: ⌊D · rotary_pct⌋ (as Hugging Face computes it).</summary>
    public static int RotaryDims(ModelConfig config) => (int)(config.HeadDim * config.RotaryPct);

    /// <summary>Creates the parameters (zero) for <paramref name="config"/>; q/k/v and dense biases exist when config.AttentionBias.</summary>
    public GptNeoXModel(ModelConfig config) : base(config)
    {
        if (config.Architecture != ModelArchitecture.GptNeoX)
            throw new ArgumentException($"GptNeoXModel: architecture {config.Architecture} is not GptNeoX.");
        if (config.KvHeads != config.Heads)
            throw new ArgumentException($"GptNeoXModel: grouped-query attention ({config.KvHeads} key/value heads for {config.Heads}) is not part of GPT-NeoX.");
        int c = config.HiddenSize, f = config.IntermediateSize;
        bool bias = config.AttentionBias;
        embedIn = Param("gpt_neox.embed_in.weight", config.VocabSize, c);
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"gpt_neox.layers.{i}.";
            blocks[i] = new Block(
                Param(p + "input_layernorm.weight", c), Param(p + "input_layernorm.bias", c),
                LinearParam(p + "attention.query_key_value.weight", 3 * c, c), bias ? Param(p + "attention.query_key_value.bias", 3 * c) : null,
                LinearParam(p + "attention.dense.weight", c, c), bias ? Param(p + "attention.dense.bias", c) : null,
                Param(p + "post_attention_layernorm.weight", c), Param(p + "post_attention_layernorm.bias", c),
                LinearParam(p + "mlp.dense_h_to_4h.weight", f, c), Param(p + "mlp.dense_h_to_4h.bias", f),
                LinearParam(p + "mlp.dense_4h_to_h.weight", c, f), Param(p + "mlp.dense_4h_to_h.bias", c));
        }
        lnFW = Param("gpt_neox.final_layer_norm.weight", c);
        lnFB = Param("gpt_neox.final_layer_norm.bias", c);
        embedOut = Param("embed_out.weight", config.VocabSize, c);
        int r = RotaryDims(config);
        if (r < 2) throw new ArgumentException($"GptNeoXModel: rotary_pct {config.RotaryPct} of head size {config.HeadDim} rotates fewer than 2 channels.");
        rotary = new RotaryTable(r - r % 2, config.RopeTheta);
        exactGelu = config.HiddenAct switch
        {
            "gelu" => true,
            "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" => false,
            _ => throw new ArgumentException($"GptNeoXModel: hidden_act '{config.HiddenAct}' is not supported (expected gelu, gelu_new, gelu_fast or gelu_pytorch_tanh)."),
        };
    }

    /// <inheritdoc />
    public override void Initialize(Rng rng)
    {
        foreach (var (name, p) in NamedParameters)
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Span.Clear();
            else if (name.Contains("layernorm", StringComparison.Ordinal) || name.Contains("layer_norm", StringComparison.Ordinal)) p.Span.Fill(1f);
            else rng.FillNormal(p.Span, 0f, 0.02f);
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
    {
        int past = ValidateInput(ids, batch, time, keyStart, cache);
        int c = Config.HiddenSize, h = Config.Heads, d = Config.HeadDim;
        var pos = PositionIds(batch, time, past, keyStart);
        var x = Ops.Embedding(embedIn, ids, batch, time); // (B, T, C)
        for (int i = 0; i < blocks.Length; i++)
        {
            var (blk, layerCache) = (blocks[i], cache?[i]);
            x = TensorScope.Layer(x, x =>
            {
                var a = Ops.LayerNorm(x, blk.Ln1W, blk.Ln1B, Config.NormEps); // (B, T, C)
                var qkv = Ops.Reshape(Linear(a, blk.QkvW, blk.QkvB), batch, time * h, 3 * d); // (B, T·H, 3D): per head [q | k | v]
                var q = Ops.Rotary(Ops.Reshape(Ops.Slice(qkv, 2, 0, d), batch, time, c), h, rotary, pos); // (B, T, H·D)
                var k = Ops.Rotary(Ops.Reshape(Ops.Slice(qkv, 2, d, d), batch, time, c), h, rotary, pos); // (B, T, H·D)
                var v = Ops.Reshape(Ops.Slice(qkv, 2, 2 * d, d), batch, time, c); // (B, T, H·D)
                var attn = Linear(Ops.Attention(q, k, v, h, h, layerCache, keyStart), blk.DenseW, blk.DenseB); // (B, T, C)
                if (Config.ParallelResidual) return Ops.Add(Ops.Add(x, attn), Mlp(Ops.LayerNorm(x, blk.Ln2W, blk.Ln2B, Config.NormEps), blk));
                x = Ops.Add(x, attn);
                return Ops.Add(x, Mlp(Ops.LayerNorm(x, blk.Ln2W, blk.Ln2B, Config.NormEps), blk));
            });
        }
        return Ops.LayerNorm(x, lnFW, lnFB, Config.NormEps);
    }

    /// <inheritdoc />
    public override Tensor Logits(Tensor hidden) => Ops.Linear(hidden, embedOut);

    private Tensor Mlp(Tensor m, Block blk) // (B, T, C) → (B, T, C)
    {
        var up = Linear(m, blk.UpW, blk.UpB); // (B, T, F)
        return Linear(exactGelu ? Ops.GeluExact(up) : Ops.Gelu(up), blk.DownW, blk.DownB);
    }
}
