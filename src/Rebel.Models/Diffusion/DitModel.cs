// A small class-conditional diffusion transformer (DiT, Peebles & Xie 2023) predicting the noise ε in x_t:
// patch embedding plus learned positions, blocks of non-causal attention and GELU MLP modulated by adaLN-Zero from
// c = timestep MLP(sinusoidal features) + Σ attribute embeddings, and a modulated linear head back to patches. c is also
// added to every input token, a direct path that lets a short pretraining pick up the condition sooner than adaLN alone.
using Rebel.Tensors;

namespace Rebel.Models.Diffusion;

/// <summary>ε_θ(x_t, t, c): images (B, Channels, S, S) in, predicted noise of the same shape out.</summary>
public sealed class DitModel : IDenoiser
{
    private readonly Dictionary<string, Tensor> parameters = new(StringComparer.Ordinal);
    private readonly Tensor patchW, patchB, pos, time1W, time1B, time2W, time2B, finalAdaW, finalAdaB, finalW, finalB;
    private readonly Tensor[] conditionTables;
    private readonly Block[] blocks;
    private readonly Tensor ones; // (C): the weight of the affine-free LayerNorms (a constant, not a parameter)

    private sealed record Block(Tensor AdaW, Tensor AdaB, Tensor QkvW, Tensor QkvB, Tensor ProjW, Tensor ProjB,
        Tensor Fc1W, Tensor Fc1B, Tensor Fc2W, Tensor Fc2B);

    /// <summary>Hyper-parameters.</summary>
    public DitConfig Config { get; }

    /// <summary>Parameters by name, in creation order.</summary>
    public IReadOnlyDictionary<string, Tensor> NamedParameters => parameters;

    /// <summary>All trainable parameters.</summary>
    public IReadOnlyList<Tensor> Parameters => [.. parameters.Values];

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => parameters.Values.Sum(p => (long)p.Size);

    /// <summary>Creates zero parameters for <paramref name="config"/>; call <see cref="Initialize"/> or load weights next.</summary>
    public DitModel(DitConfig config)
    {
        config.Validate();
        Config = config;
        int c = config.HiddenSize, f = config.MlpRatio * c;
        patchW = Param("x_embedder.proj.weight", c, config.PatchValues);
        patchB = Param("x_embedder.proj.bias", c);
        pos = Param("pos_embed", config.Tokens, c);
        time1W = Param("t_embedder.mlp.0.weight", c, config.TimestepFeatures);
        time1B = Param("t_embedder.mlp.0.bias", c);
        time2W = Param("t_embedder.mlp.2.weight", c, c);
        time2B = Param("t_embedder.mlp.2.bias", c);
        conditionTables = [.. config.ConditionSizes.Select((n, i) => Param($"y_embedder.{i}.embedding_table.weight", n, c))];
        blocks = new Block[config.Layers];
        for (int i = 0; i < blocks.Length; i++)
        {
            string p = $"blocks.{i}.";
            blocks[i] = new Block(Param(p + "adaLN_modulation.1.weight", 6 * c, c), Param(p + "adaLN_modulation.1.bias", 6 * c),
                Param(p + "attn.qkv.weight", 3 * c, c), Param(p + "attn.qkv.bias", 3 * c),
                Param(p + "attn.proj.weight", c, c), Param(p + "attn.proj.bias", c),
                Param(p + "mlp.fc1.weight", f, c), Param(p + "mlp.fc1.bias", f),
                Param(p + "mlp.fc2.weight", c, f), Param(p + "mlp.fc2.bias", c));
        }
        finalAdaW = Param("final_layer.adaLN_modulation.1.weight", 2 * c, c);
        finalAdaB = Param("final_layer.adaLN_modulation.1.bias", 2 * c);
        finalW = Param("final_layer.linear.weight", config.PatchValues, c);
        finalB = Param("final_layer.linear.bias", config.PatchValues);
        ones = Tensor.FromArray(Enumerable.Repeat(1f, c).ToArray(), c);
    }

    private Tensor Param(string name, params int[] shape)
    {
        var p = Tensor.Parameter(shape, name);
        parameters.Add(name, p);
        return p;
    }

    /// <summary>
    /// DiT's initialisation: Xavier-normal linear weights, N(0, 0.02²) positions, embeddings and timestep MLP, zero biases,
    /// and zero adaLN modulations and output head (adaLN-Zero: every block starts as the identity).
    /// </summary>
    public void Initialize(Rng rng)
    {
        foreach (var (name, p) in parameters)
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("adaLN", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal))
                p.Span.Clear();
            else if (p.Rank == 2 && !name.Contains("embedding_table", StringComparison.Ordinal) && name != "pos_embed" && !name.StartsWith("t_embedder", StringComparison.Ordinal))
                rng.FillNormal(p.Span, 0f, MathF.Sqrt(2f / (p.Shape[0] + p.Shape[1])));
            else rng.FillNormal(p.Span, 0f, 0.02f);
        }
    }

    /// <summary>
    /// Predicted noise (B, Channels, S, S) for images <paramref name="x"/> (B, Channels, S, S) at integer timesteps
    /// <paramref name="timesteps"/> (B) with condition ids <paramref name="conditions"/> (B·A, row-major, A = ConditionSizes.Length).
    /// </summary>
    public Tensor Forward(Tensor x, ReadOnlySpan<int> timesteps, ReadOnlySpan<int> conditions)
    {
        int b = Denoiser.CheckInput(Config, x, timesteps, conditions), c = Config.HiddenSize;
        x = Ops.ToDevice(x, patchW.Device); // images in and predictions out are host tensors; the network runs where its weights are
        var c0 = Ops.Add(TimestepEmbedding(timesteps), Denoiser.ConditionEmbedding(conditionTables, conditions, b)); // (B, C)
        var cond = Ops.Silu(c0); // (B, C)
        var h = Ops.Add(Ops.Add(Ops.Linear(Patchify(x), patchW, patchB), pos), Ops.Reshape(c0, b, 1, c)); // (B, N, C), c added to every token too
        foreach (var blk in blocks)
        {
            var mod = Ops.Linear(cond, blk.AdaW, blk.AdaB); // (B, 6C): shift, scale, gate of attention, then of the MLP
            var a = Modulate(h, Chunk(mod, 0, c), Chunk(mod, 1, c));
            var att = Ops.AttentionQkv(Ops.Linear(a, blk.QkvW, blk.QkvB), Config.Heads, causal: false); // (B, N, C)
            h = Ops.Add(h, Ops.Mul(Ops.Linear(att, blk.ProjW, blk.ProjB), Chunk(mod, 2, c)));
            var m = Modulate(h, Chunk(mod, 3, c), Chunk(mod, 4, c));
            var mlp = Ops.Linear(Ops.Gelu(Ops.Linear(m, blk.Fc1W, blk.Fc1B)), blk.Fc2W, blk.Fc2B); // (B, N, C)
            h = Ops.Add(h, Ops.Mul(mlp, Chunk(mod, 5, c)));
        }
        var fmod = Ops.Linear(cond, finalAdaW, finalAdaB); // (B, 2C)
        var o = Ops.Linear(Modulate(h, Chunk(fmod, 0, c), Chunk(fmod, 1, c)), finalW, finalB); // (B, N, Channels·P²)
        return Ops.ToHost(Unpatchify(o));
    }

    /// <summary>Moves every weight (and the norms' constant unit weight) to <paramref name="device"/>.</summary>
    public void ToDevice(TensorDevice device)
    {
        foreach (var p in NamedParameters.Values) p.MoveTo(device);
        ones.MoveTo(device);
    }

    /// <summary>y = LayerNorm(x)·(1 + scale) + shift, with x (B, N, C) and shift, scale (B, 1, C).</summary>
    private Tensor Modulate(Tensor x, Tensor shift, Tensor scale) =>
        Ops.Add(Ops.Mul(Ops.LayerNorm(x, ones, null, 1e-6f), Ops.Add(scale, 1f)), shift);

    /// <summary>The <paramref name="index"/>-th block of <paramref name="width"/> columns of (B, k·width), as (B, 1, width).</summary>
    private static Tensor Chunk(Tensor mod, int index, int width) =>
        Ops.Reshape(Ops.Slice(mod, 1, index * width, width), mod.Shape[0], 1, width);

    /// <summary>MLP(sinusoidal features of t): Linear, SiLU, Linear. (B, C).</summary>
    private Tensor TimestepEmbedding(ReadOnlySpan<int> timesteps) =>
        Ops.Linear(Ops.Silu(Ops.Linear(Ops.ToDevice(Denoiser.TimestepFeatures(timesteps, Config.TimestepFeatures), time1W.Device), time1W, time1B)), time2W, time2B);

    /// <summary>(B, Ch, S, S) → (B, N, Ch·P²): token (gy, gx) holds its patch's values in (channel, py, px) order.</summary>
    public Tensor Patchify(Tensor x)
    {
        int b = x.Shape[0], ch = Config.Channels, p = Config.PatchSize, g = Config.ImageSize / p;
        var y = Ops.Reshape(x, b, ch, g, p, g, p); // (B, Ch, Gy, Py, Gx, Px)
        y = Ops.Transpose(Ops.Transpose(Ops.Transpose(y, 1, 2), 2, 4), 3, 4); // (B, Gy, Gx, Ch, Py, Px)
        return Ops.Reshape(y, b, g * g, ch * p * p);
    }

    /// <summary>The inverse of <see cref="Patchify"/>: (B, N, Ch·P²) → (B, Ch, S, S).</summary>
    public Tensor Unpatchify(Tensor tokens)
    {
        int b = tokens.Shape[0], ch = Config.Channels, p = Config.PatchSize, g = Config.ImageSize / p;
        var y = Ops.Reshape(tokens, b, g, g, ch, p, p); // (B, Gy, Gx, Ch, Py, Px)
        y = Ops.Transpose(Ops.Transpose(Ops.Transpose(y, 3, 4), 2, 4), 1, 2); // (B, Ch, Gy, Py, Gx, Px)
        return Ops.Reshape(y, b, ch, Config.ImageSize, Config.ImageSize);
    }
}
