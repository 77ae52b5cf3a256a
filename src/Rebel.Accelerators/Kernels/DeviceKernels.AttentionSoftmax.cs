// Attention's softmax over raw scores Q·Kᵀ (…, T, S), one group per query row: the scores are scaled (or soft-capped, Gemma-2's
// c·tanh(scale·x/c)), keys outside the row's live range [first, last] are masked, and the rest go through the softmax. The range
// is the engine's (Ops.Attention): first = the row's left padding keyStart[b], raised by a sliding window W to Past + t − W + 1;
// last = Past + t when causal, else S − 1; Past = S − T keys are a cache before the T queries. A row with no live key is all
// zeros, as in the engine (its output and gradients are then 0). The backward is the softmax family's row kernel.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MaskedShape>? maskedSoftmaxKernel;

    /// <summary>
    /// Scores (…, T, S): S keys and T queries per block, RowsPerKeyStart rows per entry of keyStart (when HasKeyStart), the scale,
    /// the soft cap (0 for none) with CapScale = scale / cap, the causal flag and the sliding window (0 for none).
    /// </summary>
    internal readonly record struct MaskedShape(int Keys, int Queries, int RowsPerKeyStart, int HasKeyStart, float Scale, float SoftCap, float CapScale, int Causal, int Window);

    /// <summary>
    /// Attention's softmax over scores x (…, T, S): y = softmax(scale·x) along the last axis, where, when <paramref name="causal"/>,
    /// query t (the row's index within its block of T) sees only keys s ≤ t + S − T (the S − T earlier keys are a cache) and
    /// masked entries are exactly 0.
    /// </summary>
    public DeviceBuffer MaskedSoftmax(DeviceBuffer x, float scale, bool causal)
    {
        var (weights, _) = AttentionSoftmax(x, scale, causal);
        return weights;
    }

    /// <summary>Backward of <see cref="MaskedSoftmax"/> from its output y: gx += scale · y ⊙ (g − Σ g ⊙ y) per row (0 where masked, as y is).</summary>
    public void MaskedSoftmaxBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer gx, float scale) =>
        SoftmaxFamilyBackward("MaskedSoftmaxBackward", y, g, gx, log: false, scale);

    /// <summary>
    /// The softmax of <see cref="Ops.Attention"/> over raw scores x = q·k (B, …, T, S), the last T of the S keys being the queries'
    /// own positions: u = scale·x, or c·tanh(scale·x/c) with a soft cap c &gt; 0; key s is masked for query t of batch row b when
    /// s &lt; <paramref name="keyStart"/>[b] (left padding; b indexes x's first axis), when causal and s &gt; t + S − T, or with a
    /// sliding window W &gt; 0 (causal only) when s ≤ t + S − T − W. Masked entries are 0, and a row without a live key is all 0.
    /// Returns the weights and, with a soft cap, tanh(scale·x/c) (0 where masked) for the backward.
    /// </summary>
    public (DeviceBuffer Weights, DeviceBuffer? Capped) AttentionSoftmax(DeviceBuffer x, float scale, bool causal, int[]? keyStart = null,
        int slidingWindow = 0, float softCap = 0f)
    {
        const string op = "AttentionSoftmax";
        int n = RowWidth(op, x);
        if (x.Shape.Length < 2 || causal && x.Shape[^2] > n)
            throw new ArgumentException($"{op}: scores {Tensor.Format(x.Shape)} are not (…, T, S) with S ≥ T for a causal mask.");
        if (!(scale > 0) || float.IsInfinity(scale)) throw new ArgumentException($"{op}: score scale {scale} must be positive and finite.");
        if (softCap < 0 || !float.IsFinite(softCap)) throw new ArgumentException($"{op}: soft cap {softCap} must be 0 (none) or positive and finite.");
        if (slidingWindow < 0) throw new ArgumentException($"{op}: sliding window {slidingWindow} must be 0 (none) or positive.");
        if (slidingWindow > 0 && !causal) throw new ArgumentException($"{op}: a sliding window needs a causal call.");
        if (keyStart is not null && keyStart.Length != x.Shape[0])
            throw new ArgumentException($"{op}: keyStart has {keyStart.Length} entries for scores {Tensor.Format(x.Shape)} (one per batch row, the first axis).");
        var y = device.Allocate(x.Shape);
        var capped = softCap > 0 ? device.Allocate(x.Shape) : null;
        int rows = n == 0 ? 0 : x.Size / n;
        if (rows == 0) return (y, capped);
        maskedSoftmaxKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, MaskedShape>(MaskedSoftmaxKernel);
        var starts = UploadIndices(keyStart ?? []);
        var shape = new MaskedShape(n, x.Shape[^2], Math.Max(1, rows / x.Shape[0]), keyStart is null ? 0 : 1, scale, softCap,
            softCap > 0 ? scale / softCap : 0f, causal ? 1 : 0, slidingWindow);
        maskedSoftmaxKernel(new KernelConfig(rows, RowGroupSize), x.View, y.View, capped?.View ?? Placeholder, starts.View.AsContiguous(), shape);
        Finish(starts);
        return (y, capped);
    }

    /// <summary>
    /// Backward of <see cref="AttentionSoftmax"/> from its weights y and saved tanh (null without a soft cap): gx += scale ·
    /// y ⊙ (g − Σ g ⊙ y) ⊙ (1 − tanh²) per row (0 where masked, as y is).
    /// </summary>
    public void AttentionSoftmaxBackward(DeviceBuffer y, DeviceBuffer? capped, DeviceBuffer g, DeviceBuffer gx, float scale) =>
        SoftmaxFamilyBackward("AttentionSoftmaxBackward", y, g, gx, log: false, scale, capped);

    [DeviceKernel]
    private static void MaskedSoftmaxKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> capped, ArrayView<int> keyStart, MaskedShape s)
    {
        int row = Grid.IdxX, n = s.Keys, o = row * n, lane = Group.IdxX, width = Group.DimX;
        int t = row % s.Queries, past = n - s.Queries;
        int first = s.HasKeyStart != 0 ? keyStart[row / s.RowsPerKeyStart] : 0; // the first key this query sees
        if (s.Window > 0) first = XMath.Max(first, past + t - s.Window + 1);
        int last = s.Causal != 0 ? past + t : n - 1; // the last
        float max = float.NegativeInfinity;
        for (int i = first + lane; i <= last; i += width) max = XMath.Max(max, Score(x[o + i], s));
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        float sum = 0f;
        for (int i = first + lane; i <= last; i += width) sum += XMath.Exp(Score(x[o + i], s) - max);
        float inv = 1f / GroupExtensions.AllReduce<float, AddFloat>(sum);
        for (int i = lane; i < n; i += width)
        {
            bool live = i >= first && i <= last;
            y[o + i] = live ? XMath.Exp(Score(x[o + i], s) - max) * inv : 0f;
            if (s.SoftCap > 0) capped[o + i] = live ? XMath.Tanh(x[o + i] * s.CapScale) : 0f;
        }
    }

    // u = scale·x, or c·tanh(x·scale/c) with a soft cap c.
    private static float Score(float x, MaskedShape s) => s.SoftCap > 0 ? XMath.Tanh(x * s.CapScale) * s.SoftCap : s.Scale * x;
}
