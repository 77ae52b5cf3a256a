// Token-level losses on logits, fused with log-softmax: per-token log-probs ln softmax(logits/τ)[target] (the trainers'
// sequence log-probs), mean cross-entropy over the targets that are not ignored, and each row's entropy (a metric, no gradient).
// Forward: one group per row; backward: one index per logit, from the saved ln Σ e^(x/τ) of its row.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>Per-row token log-probs (…) and each row's ln Σ e^(x/τ) (kept for the backward).</summary>
public sealed record TokenLogProbs(DeviceBuffer LogProbs, DeviceBuffer LogSumExp) : IDisposable
{
    /// <summary>Frees both buffers.</summary>
    public void Dispose()
    {
        LogProbs.Dispose();
        LogSumExp.Dispose();
    }
}

public sealed partial class DeviceKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, LogitShape>? logProbKernel;

    /// <summary>Sizes of a logits launch: vocabulary V, 1/τ, and the ignored target id.</summary>
    internal readonly record struct LogitShape(int Vocab, float InverseTemperature, int IgnoreIndex);

    /// <summary>
    /// ln softmax(logits / temperature)[target] for each row: logits (…, V), targets (…) → (…). Rows whose target is
    /// <paramref name="ignoreIndex"/> give 0 (and no gradient).
    /// </summary>
    public TokenLogProbs GatherLogProbs(DeviceBuffer logits, ReadOnlySpan<int> targets, float temperature = 1f, int ignoreIndex = -100)
    {
        var shape = CheckLogits("GatherLogProbs", logits, targets, temperature, ignoreIndex);
        int rows = targets.Length;
        var result = new TokenLogProbs(device.Allocate(logits.Shape[..^1]), device.Allocate(logits.Shape[..^1]));
        logProbKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, LogitShape>(LogProbKernel);
        if (rows == 0 || shape.Vocab == 0) return result;
        var t = UploadIndices(targets);
        logProbKernel(new KernelConfig(rows, RowGroupSize), logits.View, t.View.AsContiguous(), result.LogProbs.View, result.LogSumExp.View, shape);
        Finish(t);
        return result;
    }

    /// <summary>Backward of <see cref="GatherLogProbs"/>: glogits += (g/τ)·(onehot(target) − softmax(logits/τ)) per row not ignored.</summary>
    public void GatherLogProbsBackward(DeviceBuffer logits, ReadOnlySpan<int> targets, TokenLogProbs saved, DeviceBuffer g, DeviceBuffer glogits,
        float temperature = 1f, int ignoreIndex = -100)
    {
        var shape = CheckLogits("GatherLogProbsBackward", logits, targets, temperature, ignoreIndex);
        RequireSameShape("GatherLogProbsBackward", "log-probs", saved.LogProbs, "gradient", g);
        RequireSameShape("GatherLogProbsBackward", "logits", logits, "logits gradient", glogits);
        if (g.Size != targets.Length) throw new ArgumentException($"GatherLogProbsBackward: gradient {Tensor.Format(g.Shape)} for {targets.Length} rows.");
        if (logits.Size == 0) return;
        var t = UploadIndices(targets);
        Run(new LogProbGradOp(logits.View, t.View.AsContiguous(), saved.LogSumExp.View, g.View, glogits.View, shape), logits.Size);
        Finish(t);
    }

    /// <summary>
    /// Mean cross-entropy −(1/n)·Σ ln softmax(logits)[target] over the n rows whose target ≠ <paramref name="ignoreIndex"/> (0 when
    /// every row is ignored). Returns the loss and the saved log-probs for <see cref="CrossEntropyBackward"/>.
    /// </summary>
    public (float Loss, TokenLogProbs Saved) CrossEntropy(DeviceBuffer logits, ReadOnlySpan<int> targets, int ignoreIndex = -100)
    {
        var saved = GatherLogProbs(logits, targets, 1f, ignoreIndex);
        float sum = saved.LogProbs.Size == 0 ? 0f : Accelerator.Reduce<float, AddFloat>(Accelerator.DefaultStream, saved.LogProbs.View);
        return (-sum / Math.Max(Kept(targets, ignoreIndex), 1), saved);
    }

    /// <summary>Backward of <see cref="CrossEntropy"/> for an upstream gradient <paramref name="g"/> of the scalar loss: glogits += …</summary>
    public void CrossEntropyBackward(DeviceBuffer logits, ReadOnlySpan<int> targets, TokenLogProbs saved, float g, DeviceBuffer glogits, int ignoreIndex = -100)
    {
        using var rowGrad = device.Allocate(saved.LogProbs.Shape);
        Run(new FillOp(rowGrad.View, -g / Math.Max(Kept(targets, ignoreIndex), 1)), rowGrad.Size);
        GatherLogProbsBackward(logits, targets, saved, rowGrad, glogits, 1f, ignoreIndex);
        Accelerator.Synchronize(); // rowGrad is freed on return
    }

    /// <summary>
    /// The entropy in nats of softmax(logits / temperature) per row: logits (…, V) → (…), H = −Σ p·ln p (the entropies that
    /// <see cref="Ops.ChunkedGatherLogProbs"/> reports; a metric, without gradient).
    /// </summary>
    public DeviceBuffer RowEntropy(DeviceBuffer logits, float temperature = 1f)
    {
        int v = RowWidth("RowEntropy", logits);
        if (!(temperature > 0)) throw new ArgumentException($"RowEntropy: temperature {temperature} must be positive.");
        var y = device.Allocate(logits.Shape[..^1]);
        entropyKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, float>(EntropyKernel);
        if (y.Size > 0 && v > 0) entropyKernel(new KernelConfig(y.Size, RowGroupSize), logits.View, y.View, v, 1f / temperature);
        return y;
    }

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, float>? entropyKernel;

    // H = −Σ p·lp with lp = x/τ − lse, p = e^lp.
    [DeviceKernel]
    private static void EntropyKernel(ArrayView<float> x, ArrayView<float> h, int v, float inverseTemperature)
    {
        int o = Grid.IdxX * v, lane = Group.IdxX, width = Group.DimX;
        float max = float.NegativeInfinity;
        for (int i = lane; i < v; i += width) max = XMath.Max(max, x[o + i] * inverseTemperature);
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        float sum = 0f;
        for (int i = lane; i < v; i += width) sum += XMath.Exp(x[o + i] * inverseTemperature - max);
        float lse = max + XMath.Log(GroupExtensions.AllReduce<float, AddFloat>(sum));
        float acc = 0f;
        for (int i = lane; i < v; i += width)
        {
            float lp = x[o + i] * inverseTemperature - lse;
            acc -= XMath.Exp(lp) * lp;
        }
        acc = GroupExtensions.AllReduce<float, AddFloat>(acc);
        if (lane == 0) h[Grid.IdxX] = acc;
    }

    private static int Kept(ReadOnlySpan<int> targets, int ignoreIndex)
    {
        int n = 0;
        foreach (var t in targets) if (t != ignoreIndex) n++;
        return n;
    }

    private LogitShape CheckLogits(string op, DeviceBuffer logits, ReadOnlySpan<int> targets, float temperature, int ignoreIndex)
    {
        int v = RowWidth(op, logits);
        if (!(temperature > 0)) throw new ArgumentException($"{op}: temperature {temperature} must be positive.");
        int rows = v == 0 ? Tensor.ShapeSize(logits.Shape.AsSpan(0, logits.Shape.Length - 1)) : logits.Size / v;
        if (targets.Length != rows) throw new ArgumentException($"{op}: {targets.Length} targets for logits {Tensor.Format(logits.Shape)} ({rows} rows).");
        for (int r = 0; r < rows; r++)
            if (targets[r] != ignoreIndex && (uint)targets[r] >= (uint)v) throw new ArgumentException($"{op}: target {targets[r]} at row {r} is outside the vocabulary of {v}.");
        return new LogitShape(v, 1f / temperature, ignoreIndex);
    }

    [DeviceKernel]
    private static void LogProbKernel(ArrayView<float> x, ArrayView<int> targets, ArrayView<float> logp, ArrayView<float> lse, LogitShape s)
    {
        int row = Grid.IdxX, o = row * s.Vocab, lane = Group.IdxX, width = Group.DimX;
        float max = float.NegativeInfinity;
        for (int i = lane; i < s.Vocab; i += width) max = XMath.Max(max, x[o + i] * s.InverseTemperature);
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        float sum = 0f;
        for (int i = lane; i < s.Vocab; i += width) sum += XMath.Exp(x[o + i] * s.InverseTemperature - max);
        float l = max + XMath.Log(GroupExtensions.AllReduce<float, AddFloat>(sum));
        if (lane != 0) return;
        int t = targets[row];
        bool ignored = t == s.IgnoreIndex;
        lse[row] = ignored ? 0f : l;
        logp[row] = ignored ? 0f : x[o + t] * s.InverseTemperature - l;
    }

    /// <summary>glogits[i] += (g/τ)·(onehot(target) − e^(x/τ − lse)) for row i / V, unless the row is ignored.</summary>
    internal readonly struct LogProbGradOp(ArrayView<float> x, ArrayView<int> targets, ArrayView<float> lse, ArrayView<float> g, ArrayView<float> gx, LogitShape s) : IElementOp
    {
        private readonly ArrayView<float> x = x, lse = lse, g = g, gx = gx;
        private readonly ArrayView<int> targets = targets;
        private readonly LogitShape s = s;

        public void Apply(int i)
        {
            int row = i / s.Vocab, t = targets[row];
            if (t == s.IgnoreIndex || g[row] == 0f) return;
            float gr = g[row] * s.InverseTemperature;
            float d = -gr * XMath.Exp(x[i] * s.InverseTemperature - lse[row]);
            gx[i] += i % s.Vocab == t ? d + gr : d;
        }
    }

    /// <summary>y[i] = value.</summary>
    internal readonly struct FillOp(ArrayView<float> y, float value) : IElementOp
    {
        private readonly ArrayView<float> y = y;
        private readonly float value = value;

        public void Apply(int i) => y[i] = value;
    }
}
