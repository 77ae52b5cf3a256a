// A small conditional convolutional U-Net denoiser (Ronneberger et al. 2015, as DDPM uses it, Ho et al. 2020), all of it in
// this file: a 3 × 3 input convolution, then per resolution level a residual block (LayerNorm over channels, SiLU, 3 × 3
// convolution, plus a projection of the embedding e = timestep MLP(sinusoidal features) + Σ attribute embeddings, then
// LayerNorm, SiLU, 3 × 3 convolution starting at zero) and a stride-2 convolution down; a middle block; on the way up each
// level concatenates its skip, runs a residual block and upsamples (nearest neighbour, then a 3 × 3 convolution); a 3 × 3
// output convolution (starting at zero) gives ε or v. Activations are (B, H·W, C), channels last, so a convolution is
// one gather of its 3 × 3 windows (zero rows for the padding) and one Linear: the tape's existing ops carry the gradient.
using Rebel.Tensors;

namespace Rebel.Models.Diffusion;

/// <summary>ε_θ(x_t, t, c) (or v) by a convolutional U-Net: images (B, Channels, S, S) in, the same shape out.</summary>
public sealed class UnetModel : IDenoiser
{
    private const int Kernel = 3, Taps = Kernel * Kernel;

    private readonly Dictionary<string, Tensor> parameters = new(StringComparer.Ordinal);
    private readonly Conv convIn, convOut;
    private readonly Tensor outNormW, outNormB, time1W, time1B, time2W, time2B;
    private readonly Tensor[] conditionTables;
    private readonly ResBlock[] down, up;
    private readonly ResBlock mid;
    private readonly Conv[] downsample, upsample; // downsample[l]: level l → l + 1; upsample[l]: level l → l − 1 (index 0 unused)

    private sealed record Conv(Tensor W, Tensor B);

    private sealed record ResBlock(Tensor Norm1W, Tensor Norm1B, Conv Conv1, Tensor EmbW, Tensor EmbB, Tensor Norm2W, Tensor Norm2B, Conv Conv2, Tensor? SkipW, Tensor? SkipB);

    /// <summary>Hyper-parameters: <see cref="DitConfig.HiddenSize"/> is the width C at full resolution, <see cref="DitConfig.Layers"/> the levels.</summary>
    public DitConfig Config { get; }

    /// <summary>Parameters by name, in creation order. A convolution's weight is (out, 9·in), its input read tap-major (ky, kx, in).</summary>
    public IReadOnlyDictionary<string, Tensor> NamedParameters => parameters;

    /// <summary>E, the width of the timestep-and-condition embedding: 4·C (DDPM's choice).</summary>
    public int EmbeddingWidth => 4 * Config.HiddenSize;

    /// <summary>Creates zero parameters for <paramref name="config"/> (architecture "unet"); call <see cref="Initialize"/> or load weights next.</summary>
    public UnetModel(DitConfig config)
    {
        config.Validate();
        if (config.Architecture != DitConfig.Unet) throw new ArgumentException($"UnetModel: config architecture is '{config.Architecture}', not '{DitConfig.Unet}'.");
        Config = config;
        int levels = config.Layers, e = EmbeddingWidth, c0 = config.UnetChannels(0);
        time1W = Param("time_embedding.linear_1.weight", e, config.TimestepFeatures);
        time1B = Param("time_embedding.linear_1.bias", e);
        time2W = Param("time_embedding.linear_2.weight", e, e);
        time2B = Param("time_embedding.linear_2.bias", e);
        conditionTables = [.. config.ConditionSizes.Select((n, i) => Param($"class_embedding.{i}.weight", n, e))];
        convIn = ConvParams("conv_in", config.Channels, c0);
        down = new ResBlock[levels];
        up = new ResBlock[levels];
        downsample = new Conv[levels - 1];
        upsample = new Conv[levels];
        for (int l = 0; l < levels; l++)
        {
            down[l] = Block($"down.{l}.res", l == 0 ? c0 : config.UnetChannels(l - 1), config.UnetChannels(l));
            if (l < levels - 1) downsample[l] = ConvParams($"down.{l}.downsample", config.UnetChannels(l), config.UnetChannels(l));
        }
        mid = Block("mid.res", config.UnetChannels(levels - 1), config.UnetChannels(levels - 1));
        for (int l = levels - 1; l >= 0; l--)
        {
            up[l] = Block($"up.{l}.res", 2 * config.UnetChannels(l), config.UnetChannels(l));
            if (l > 0) upsample[l] = ConvParams($"up.{l}.upsample", config.UnetChannels(l), config.UnetChannels(l - 1));
        }
        outNormW = Param("norm_out.weight", c0);
        outNormB = Param("norm_out.bias", c0);
        convOut = ConvParams("conv_out", c0, config.Channels);
    }

    private Tensor Param(string name, params int[] shape)
    {
        var p = Tensor.Parameter(shape, name);
        parameters.Add(name, p);
        return p;
    }

    private Conv ConvParams(string name, int input, int output) => new(Param(name + ".weight", output, Taps * input), Param(name + ".bias", output));

    private ResBlock Block(string name, int input, int output) => new(
        Param(name + ".norm1.weight", input), Param(name + ".norm1.bias", input), ConvParams(name + ".conv1", input, output),
        Param(name + ".emb.weight", EmbeddingOutputs(output), EmbeddingWidth), Param(name + ".emb.bias", EmbeddingOutputs(output)),
        Param(name + ".norm2.weight", output), Param(name + ".norm2.bias", output), ConvParams(name + ".conv2", output, output),
        input == output ? null : Param(name + ".skip.weight", output, input), input == output ? null : Param(name + ".skip.bias", output));

    // A block's projection of the embedding: one bias per channel, or a scale and a shift per channel.
    private int EmbeddingOutputs(int channels) => Config.ScalesAndShifts ? 2 * channels : channels;

    /// <summary>
    /// Biases zero, norm weights one, condition embeddings N(0, 1) (nn.Embedding's default), other weights normal with variance
    /// 1/fan-in (He-like for the SiLU inputs), and each residual block's second convolution and the output convolution zero,
    /// so every block starts as the identity and the model as ε̂ = 0 (DDPM's zero-initialised last layers).
    /// </summary>
    public void Initialize(Rng rng)
    {
        foreach (var (name, p) in parameters)
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("conv2.", StringComparison.Ordinal) || name.StartsWith("conv_out", StringComparison.Ordinal))
                p.Span.Clear();
            else if (name.Contains("norm", StringComparison.Ordinal)) p.Span.Fill(1f);
            else if (name.StartsWith("class_embedding", StringComparison.Ordinal)) rng.FillNormal(p.Span);
            else rng.FillNormal(p.Span, 0f, MathF.Sqrt(1f / p.Shape[1]));
        }
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, ReadOnlySpan<int> timesteps, ReadOnlySpan<int> conditions)
    {
        int b = Denoiser.CheckInput(Config, x, timesteps, conditions), side = Config.ImageSize, ch = Config.Channels, levels = Config.Layers;
        var device = time1W.Device;
        x = Ops.ToDevice(x, device); // images in and predictions out are host tensors; the network runs where its weights are
        var t = Ops.Linear(Ops.Silu(Ops.Linear(Ops.ToDevice(Denoiser.TimestepFeatures(timesteps, Config.TimestepFeatures), device), time1W, time1B)), time2W, time2B); // (B, E)
        var emb = Ops.Silu(Ops.Add(t, Denoiser.ConditionEmbedding(conditionTables, conditions, b))); // (B, E)
        var h = Convolve(Ops.Transpose(Ops.Reshape(x, b, ch, side * side), 1, 2), convIn, side, 1); // (B, S², C0)
        var skips = new Tensor[levels];
        for (int l = 0; l < levels; l++)
        {
            h = Residual(down[l], h, emb, side, Config.ScalesAndShifts); // (B, side², C_l)
            skips[l] = h;
            if (l < levels - 1)
            {
                h = Convolve(h, downsample[l], side, 2);
                side /= 2;
            }
        }
        h = Residual(mid, h, emb, side, Config.ScalesAndShifts);
        for (int l = levels - 1; l >= 0; l--)
        {
            h = Residual(up[l], Ops.Concat([h, skips[l]], 2), emb, side, Config.ScalesAndShifts); // (B, side², C_l)
            if (l > 0)
            {
                h = Convolve(Upsample(h, side), upsample[l], 2 * side, 1); // (B, (2·side)², C_{l−1})
                side *= 2;
            }
        }
        var o = Convolve(Ops.Silu(Ops.LayerNorm(h, outNormW, outNormB, 1e-5f)), convOut, side, 1); // (B, S², Ch)
        return Ops.ToHost(Ops.Reshape(Ops.Transpose(o, 1, 2), b, ch, side, side));
    }

    /// <summary>
    /// h + conv2(SiLU(LN(conv1(SiLU(LN(h))) + W_e·e))) (additive conditioning), or with <paramref name="scaleShift"/>
    /// h + conv2(SiLU(LN(a)·(1 + s) + b)), a = conv1(SiLU(LN(h))) and (s, b) = W_e·e split in halves; h is first projected by a 1 × 1
    /// convolution when the widths differ. h (B, side², in) → (B, side², out).
    /// </summary>
    private static Tensor Residual(ResBlock blk, Tensor h, Tensor emb, int side, bool scaleShift)
    {
        int b = h.Shape[0];
        var a = Convolve(Ops.Silu(Ops.LayerNorm(h, blk.Norm1W, blk.Norm1B, 1e-5f)), blk.Conv1, side, 1); // (B, side², out)
        var e = Ops.Linear(emb, blk.EmbW, blk.EmbB); // (B, out) or (B, 2·out)
        if (scaleShift)
        {
            int c = e.Shape[1] / 2;
            var scale = Ops.Reshape(Ops.Slice(e, 1, 0, c), b, 1, c);
            var shift = Ops.Reshape(Ops.Slice(e, 1, c, c), b, 1, c);
            var n = Ops.LayerNorm(a, blk.Norm2W, blk.Norm2B, 1e-5f);
            a = Ops.Add(Ops.Add(n, Ops.Mul(n, scale)), shift);
        }
        else a = Ops.LayerNorm(Ops.Add(a, Ops.Reshape(e, b, 1, e.Shape[1])), blk.Norm2W, blk.Norm2B, 1e-5f);
        a = Convolve(Ops.Silu(a), blk.Conv2, side, 1);
        var skip = blk.SkipW is null ? h : Ops.Linear(h, blk.SkipW, blk.SkipB);
        return Ops.Add(skip, a);
    }

    private static Tensor Convolve(Tensor h, Conv conv, int side, int stride) => Conv3x3(h, conv.W, conv.B, side, stride);

    /// <summary>
    /// 3 × 3 convolution with zero padding 1 and stride <paramref name="stride"/> (1 or 2) of h (B, side², in), pixel (y, x) at row
    /// y·side + x, with <paramref name="weight"/> (out, 9·in) read tap-major (ky, kx, in): (B, (side/stride)², out). Output pixel
    /// (oy, ox) reads input (stride·oy + ky − 1, stride·ox + kx − 1): one gather of the windows and one Linear, both on the tape.
    /// </summary>
    public static Tensor Conv3x3(Tensor h, Tensor weight, Tensor? bias, int side, int stride)
    {
        if (h.Rank != 3 || h.Shape[1] != side * side || stride is not (1 or 2) || side % stride != 0)
            throw new ArgumentException($"UnetModel: a 3 × 3 convolution of stride {stride} on {Tensor.Format(h.Shape)} at side {side}.");
        int b = h.Shape[0], input = h.Shape[2], outSide = side / stride;
        var padded = Ops.Concat([Ops.Reshape(h, b * side * side, input), Ops.ToDevice(Tensor.Zeros(1, input), h.Device)], 0); // (B·side² + 1, in): the last row is the padding
        var windows = Ops.IndexSelect(padded, WindowRows(b, side, stride)); // (B·outSide²·9, in)
        return Ops.Linear(Ops.Reshape(windows, b, outSide * outSide, Taps * input), weight, bias);
    }

    /// <summary>The rows of each output pixel's 3 × 3 window, tap-major; B·side² (the zero row) outside the image.</summary>
    private static int[] WindowRows(int batch, int side, int stride)
    {
        int outSide = side / stride, plane = side * side, pad = batch * plane, n = 0;
        var rows = new int[batch * outSide * outSide * Taps];
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < outSide; oy++)
                for (int ox = 0; ox < outSide; ox++)
                    for (int ky = 0; ky < Kernel; ky++)
                        for (int kx = 0; kx < Kernel; kx++)
                        {
                            int y = stride * oy + ky - 1, x = stride * ox + kx - 1;
                            rows[n++] = (uint)y < (uint)side && (uint)x < (uint)side ? b * plane + y * side + x : pad;
                        }
        return rows;
    }

    /// <summary>Nearest-neighbour ×2: h (B, side², C) → (B, (2·side)², C).</summary>
    private static Tensor Upsample(Tensor h, int side)
    {
        int b = h.Shape[0], c = h.Shape[2], big = 2 * side, n = 0;
        var rows = new int[b * big * big];
        for (int i = 0; i < b; i++)
            for (int y = 0; y < big; y++)
                for (int x = 0; x < big; x++) rows[n++] = i * side * side + y / 2 * side + x / 2;
        return Ops.Reshape(Ops.IndexSelect(Ops.Reshape(h, b * side * side, c), rows), b, big * big, c);
    }
}
