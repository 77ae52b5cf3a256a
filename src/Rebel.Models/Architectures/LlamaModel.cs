// Llama (LlamaForCausalLM) and its close relatives Qwen2, Mistral and Qwen3: pre-RMSNorm blocks, rotary positions
// (rope_theta, optional Llama-3 frequency scaling), grouped-query attention, SwiGLU MLP, head tied or untied, head_dim
// possibly independent of the width. Qwen2 adds q/k/v biases (config.AttentionBias); Mistral (and any member with
// sliding_window) limits attention to a window; Qwen3 normalises each query and key head (q_norm, k_norm) before rotary.
// Weight names equal Hugging Face's: model.embed_tokens.weight, model.layers.{i}.self_attn.q_proj.weight, …
using Rebel.Tensors;

namespace Rebel.Models.Architectures;

/// <summary>Llama / Qwen2 / Mistral / Qwen3 language model.</summary>
public sealed class LlamaModel : LanguageModel
{
    private readonly Tensor embed, norm;
    private readonly Tensor? lmHead;
    private readonly Block[] blocks;
    private readonly RotaryTable rotary;

    private sealed record Block(Tensor InputNorm, Tensor Q, Tensor? QB, Tensor K, Tensor? KB, Tensor V, Tensor? VB, Tensor O,
        Tensor? QNorm, Tensor? KNorm, Tensor PostNorm, Tensor Gate, Tensor Up, Tensor Down);

    /// <summary>Creates the parameters (zero) for <paramref name="config"/> (architecture Llama, Qwen2, Mistral or Qwen3).</summary>
    public LlamaModel(ModelConfig config) : base(config)
    {
        if (config.Architecture is not (ModelArchitecture.Llama or ModelArchitecture.Qwen2 or ModelArchitecture.Mistral or ModelArchitecture.Qwen3))
            throw new ArgumentException($"LlamaModel: architecture {config.Architecture} is not Llama, Qwen2, Mistral or Qwen3.");
        int c = config.HiddenSize, f = config.IntermediateSize, d = config.HeadDim, qw = config.Heads * d, kv = config.KvHeads * d;
        bool bias = config.AttentionBias, qkNorm = config.Architecture == ModelArchitecture.Qwen3;
        embed = Param("model.embed_tokens.weight", config.VocabSize, c);
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"model.layers.{i}.";
            blocks[i] = new Block(
                Param(p + "input_layernorm.weight", c),
                LinearParam(p + "self_attn.q_proj.weight", qw, c), bias ? Param(p + "self_attn.q_proj.bias", qw) : null,
                LinearParam(p + "self_attn.k_proj.weight", kv, c), bias ? Param(p + "self_attn.k_proj.bias", kv) : null,
                LinearParam(p + "self_attn.v_proj.weight", kv, c), bias ? Param(p + "self_attn.v_proj.bias", kv) : null,
                LinearParam(p + "self_attn.o_proj.weight", c, qw),
                qkNorm ? Param(p + "self_attn.q_norm.weight", d) : null, qkNorm ? Param(p + "self_attn.k_norm.weight", d) : null,
                Param(p + "post_attention_layernorm.weight", c),
                LinearParam(p + "mlp.gate_proj.weight", f, c), LinearParam(p + "mlp.up_proj.weight", f, c), LinearParam(p + "mlp.down_proj.weight", c, f));
        }
        norm = Param("model.norm.weight", c);
        lmHead = config.TieWordEmbeddings ? null : Param("lm_head.weight", config.VocabSize, c);
        rotary = new RotaryTable(d, config.RopeTheta, config.RopeScaling);
    }

    /// <inheritdoc />
    public override void Initialize(Rng rng)
    {
        foreach (var (name, p) in NamedParameters)
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Span.Clear();
            else if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.Span.Fill(1f);
            else rng.FillNormal(p.Span, 0f, 0.02f);
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
    {
        int past = ValidateInput(ids, batch, time, keyStart, cache);
        int h = Config.Heads, hkv = Config.KvHeads;
        var pos = PositionIds(batch, time, past, keyStart);
        var x = Ops.Embedding(embed, ids, batch, time); // (B, T, C)
        for (int i = 0; i < blocks.Length; i++)
        {
            var (blk, layerCache) = (blocks[i], cache?[i]);
            int window = Config.UsesSlidingWindow(i) ? Config.SlidingWindow!.Value : 0;
            x = TensorScope.Layer(x, x =>
            {
                var a = Ops.RmsNorm(x, blk.InputNorm, Config.NormEps); // (B, T, C)
                var q = Ops.Rotary(HeadNorm(Linear(a, blk.Q, blk.QB), blk.QNorm, batch, time, h), h, rotary, pos); // (B, T, H·D)
                var k = Ops.Rotary(HeadNorm(Linear(a, blk.K, blk.KB), blk.KNorm, batch, time, hkv), hkv, rotary, pos); // (B, T, Hkv·D)
                var v = Linear(a, blk.V, blk.VB); // (B, T, Hkv·D)
                var att = Ops.Attention(q, k, v, h, hkv, layerCache, keyStart, slidingWindow: window); // (B, T, H·D)
                x = Ops.Add(x, Linear(att, blk.O));
                var m = Ops.RmsNorm(x, blk.PostNorm, Config.NormEps); // (B, T, C)
                var gated = Ops.Mul(Ops.Silu(Linear(m, blk.Gate)), Linear(m, blk.Up)); // (B, T, F)
                return Ops.Add(x, Linear(gated, blk.Down));
            });
        }
        return Ops.RmsNorm(x, norm, Config.NormEps);
    }

    // Qwen3's q_norm / k_norm: RMSNorm over each head's D channels of x (B, T, heads·D); identity without a weight.
    private Tensor HeadNorm(Tensor x, Tensor? weight, int batch, int time, int heads) => weight is null ? x
        : Ops.Reshape(Ops.RmsNorm(Ops.Reshape(x, batch, time * heads, Config.HeadDim), weight, Config.NormEps), batch, time, heads * Config.HeadDim);

    /// <inheritdoc />
    public override Tensor Logits(Tensor hidden) => Ops.Linear(hidden, lmHead ?? embed);
}
