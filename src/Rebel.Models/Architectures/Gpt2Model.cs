// GPT-2 (GPT2LMHeadModel): learned positions, pre-LayerNorm blocks, GELU (tanh) MLP, Conv1D weights stored
// (in, out), head tied to the token embedding. Weight names equal Hugging Face's, with the "transformer." prefix.
using Rebel.Tensors;

namespace Rebel.Models.Architectures;

/// <summary>GPT-2 language model.</summary>
public sealed class Gpt2Model : LanguageModel
{
    private readonly Tensor wte, wpe, lnFW, lnFB;
    private readonly Block[] blocks;

    private sealed record Block(Tensor Ln1W, Tensor Ln1B, Tensor AttnW, Tensor AttnB, Tensor ProjW, Tensor ProjB,
        Tensor Ln2W, Tensor Ln2B, Tensor FcW, Tensor FcB, Tensor MlpProjW, Tensor MlpProjB);

    /// <summary>Creates the parameters (zero) for <paramref name="config"/>.</summary>
    public Gpt2Model(ModelConfig config) : base(config)
    {
        int c = config.HiddenSize, f = config.IntermediateSize;
        wte = Param("transformer.wte.weight", config.VocabSize, c);
        wpe = Param("transformer.wpe.weight", config.MaxPositions, c);
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"transformer.h.{i}.";
            blocks[i] = new Block(
                Param(p + "ln_1.weight", c), Param(p + "ln_1.bias", c),
                Conv1DParam(p + "attn.c_attn.weight", c, 3 * c), Param(p + "attn.c_attn.bias", 3 * c),
                Conv1DParam(p + "attn.c_proj.weight", c, c), Param(p + "attn.c_proj.bias", c),
                Param(p + "ln_2.weight", c), Param(p + "ln_2.bias", c),
                Conv1DParam(p + "mlp.c_fc.weight", c, f), Param(p + "mlp.c_fc.bias", f),
                Conv1DParam(p + "mlp.c_proj.weight", f, c), Param(p + "mlp.c_proj.bias", c));
        }
        lnFW = Param("transformer.ln_f.weight", c);
        lnFB = Param("transformer.ln_f.bias", c);
    }

    /// <inheritdoc />
    public override void Initialize(Rng rng)
    {
        float residualStd = 0.02f / MathF.Sqrt(2 * Config.Layers);
        foreach (var (name, p) in NamedParameters)
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.Span.Clear();
            else if (name.Contains("ln_", StringComparison.Ordinal)) p.Span.Fill(1f);
            else rng.FillNormal(p.Span, 0f, name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : 0.02f);
        }
    }

    /// <inheritdoc />
    public override Tensor ForwardHidden(ReadOnlySpan<int> ids, int batch, int time, int[]? keyStart = null, KvCache[]? cache = null)
    {
        int past = ValidateInput(ids, batch, time, keyStart, cache);
        int h = Config.Heads;
        var x = Ops.Add(Ops.Embedding(wte, ids, batch, time), Ops.Embedding(wpe, PositionIds(batch, time, past, keyStart), batch, time)); // (B, T, C)
        for (int i = 0; i < blocks.Length; i++)
        {
            var (blk, layerCache) = (blocks[i], cache?[i]);
            x = TensorScope.Layer(x, x =>
            {
                var a = Ops.LayerNorm(x, blk.Ln1W, blk.Ln1B, Config.NormEps);
                var qkv = Conv1D(a, blk.AttnW, blk.AttnB); // (B, T, 3C) = [q | k | v]
                var att = Ops.AttentionQkv(qkv, h, layerCache, keyStart); // (B, T, C)
                x = Ops.Add(x, Conv1D(att, blk.ProjW, blk.ProjB));
                var m = Ops.LayerNorm(x, blk.Ln2W, blk.Ln2B, Config.NormEps);
                return Ops.Add(x, Conv1D(Ops.Gelu(Conv1D(m, blk.FcW, blk.FcB)), blk.MlpProjW, blk.MlpProjB));
            });
        }
        return Ops.LayerNorm(x, lnFW, lnFB, Config.NormEps);
    }

    /// <inheritdoc />
    public override Tensor Logits(Tensor hidden) => Ops.Linear(hidden, wte);
}
