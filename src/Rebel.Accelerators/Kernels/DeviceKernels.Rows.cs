// Row-wise kernels over the last axis: sum, softmax and log-softmax (attention's masked softmax is in DeviceKernels.AttentionSoftmax.cs),
// LayerNorm and RMSNorm. One group of threads per row: each thread
// strides over the row, group-wide reductions (ILGPU.Algorithms' AllReduce) give every thread the row's max / sum / mean.
// The norms' weight and bias gradients sum over rows: one index per channel.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

/// <summary>A normalisation's output and the per-row statistics its backward needs: mean (LayerNorm only) and 1/√(var + eps).</summary>
public sealed record NormResult(DeviceBuffer Output, DeviceBuffer? Mean, DeviceBuffer Rstd) : IDisposable
{
    /// <summary>Frees the three buffers.</summary>
    public void Dispose()
    {
        Output.Dispose();
        Mean?.Dispose();
        Rstd.Dispose();
    }
}

public sealed partial class DeviceKernels
{
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int>? rowSumKernel;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, int, int>? softmaxKernel;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>? softmaxGradKernel;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormShape>? normKernel;
    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormShape>? normGradKernel;

    /// <summary>Sizes and flags of a normalisation launch.</summary>
    internal readonly record struct NormShape(int Rows, int Width, float Eps, int Centered, int HasBias, int GradWeight, int GradBias);

    /// <summary>Sum along the last axis: (…, n) → (…) (sequence log-probs from token log-probs, masked sums).</summary>
    public DeviceBuffer SumLastAxis(DeviceBuffer x)
    {
        int n = RowWidth("SumLastAxis", x);
        var y = device.Allocate(x.Shape[..^1]);
        rowSumKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(RowSumKernel);
        if (y.Size > 0 && n > 0) rowSumKernel(new KernelConfig(y.Size, RowGroupSize), x.View, y.View, n);
        return y;
    }

    /// <summary>Backward of <see cref="SumLastAxis"/>: gx[…, i] += g[…] for every i.</summary>
    public void SumLastAxisBackward(DeviceBuffer g, DeviceBuffer gx)
    {
        int n = RowWidth("SumLastAxisBackward", gx);
        RequireHere("SumLastAxisBackward", g);
        if (!g.Shape.AsSpan().SequenceEqual(gx.Shape.AsSpan(0, gx.Shape.Length - 1)))
            throw new ArgumentException($"SumLastAxisBackward: gradient {Tensor.Format(g.Shape)} is not that of a sum over the last axis of {Tensor.Format(gx.Shape)}.");
        Run(new RowBroadcastAddOp(g.View, gx.View, n), gx.Size);
    }

    [DeviceKernel]
    private static void RowSumKernel(ArrayView<float> x, ArrayView<float> y, int n)
    {
        int o = Grid.IdxX * n, lane = Group.IdxX, width = Group.DimX;
        float sum = 0f;
        for (int i = lane; i < n; i += width) sum += x[o + i];
        sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
        if (lane == 0) y[Grid.IdxX] = sum;
    }

    /// <summary>gx[i] += g[i / n]: a row's gradient spread over its n elements.</summary>
    internal readonly struct RowBroadcastAddOp(ArrayView<float> g, ArrayView<float> gx, int n) : IElementOp
    {
        private readonly ArrayView<float> g = g, gx = gx;
        private readonly int n = n;

        public void Apply(int i) => gx[i] += g[i / n];
    }

    /// <summary>Softmax along the last axis: yᵢ = e^(xᵢ − max) / Σⱼ e^(xⱼ − max).</summary>
    public DeviceBuffer Softmax(DeviceBuffer x) => SoftmaxFamily("Softmax", x, log: false);

    /// <summary>Log-softmax along the last axis: yᵢ = xᵢ − max − ln Σⱼ e^(xⱼ − max).</summary>
    public DeviceBuffer LogSoftmax(DeviceBuffer x) => SoftmaxFamily("LogSoftmax", x, log: true);

    /// <summary>Backward of <see cref="Softmax"/> from its output y: gx += y ⊙ (g − Σ g ⊙ y) per row.</summary>
    public void SoftmaxBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer gx) => SoftmaxFamilyBackward("SoftmaxBackward", y, g, gx, log: false, 1f);

    /// <summary>Backward of <see cref="LogSoftmax"/> from its output y: gx += g − e^y · Σ g per row.</summary>
    public void LogSoftmaxBackward(DeviceBuffer y, DeviceBuffer g, DeviceBuffer gx) => SoftmaxFamilyBackward("LogSoftmaxBackward", y, g, gx, log: true, 1f);

    private DeviceBuffer SoftmaxFamily(string op, DeviceBuffer x, bool log)
    {
        int n = RowWidth(op, x);
        var y = device.Allocate(x.Shape);
        softmaxKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int, int>(SoftmaxKernel);
        int rows = n == 0 ? 0 : x.Size / n;
        if (rows > 0) softmaxKernel(new KernelConfig(rows, RowGroupSize), x.View, y.View, n, log ? 1 : 0);
        return y;
    }

    // capped, when given, holds tanh(u/c) of a soft-capped attention softmax: its slope 1 − tanh² joins the product.
    private void SoftmaxFamilyBackward(string op, DeviceBuffer y, DeviceBuffer g, DeviceBuffer gx, bool log, float scale, DeviceBuffer? capped = null)
    {
        int n = RowWidth(op, y);
        RequireSameShape(op, "output", y, "gradient", g);
        RequireSameShape(op, "output", y, "input gradient", gx);
        if (capped is not null) RequireSameShape(op, "output", y, "saved tanh of the capped scores", capped);
        softmaxGradKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(SoftmaxGradKernel);
        int rows = n == 0 ? 0 : y.Size / n;
        if (rows > 0) softmaxGradKernel(new KernelConfig(rows, RowGroupSize), y.View, g.View, capped?.View ?? y.View, gx.View, n, (log ? 1 : 0) | (capped is null ? 0 : 2), scale);
    }

    [DeviceKernel]
    private static void SoftmaxKernel(ArrayView<float> x, ArrayView<float> y, int n, int log)
    {
        int o = Grid.IdxX * n, lane = Group.IdxX, width = Group.DimX;
        float max = float.NegativeInfinity;
        for (int i = lane; i < n; i += width) max = XMath.Max(max, x[o + i]);
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        float sum = 0f;
        for (int i = lane; i < n; i += width) sum += XMath.Exp(x[o + i] - max);
        sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
        float lse = XMath.Log(sum), inv = 1f / sum;
        for (int i = lane; i < n; i += width)
            y[o + i] = log != 0 ? x[o + i] - max - lse : XMath.Exp(x[o + i] - max) * inv;
    }

    // gx += scale·y ⊙ (g − Σ g ⊙ y) (softmax; times 1 − tanh² with a soft cap, flags bit 2) or g − e^y · Σ g (log-softmax, bit 1).
    [DeviceKernel]
    private static void SoftmaxGradKernel(ArrayView<float> y, ArrayView<float> g, ArrayView<float> tanh, ArrayView<float> gx, int n, int flags, float scale)
    {
        int o = Grid.IdxX * n, lane = Group.IdxX, width = Group.DimX;
        bool log = (flags & 1) != 0, capped = (flags & 2) != 0;
        float dot = 0f;
        for (int i = lane; i < n; i += width) dot += log ? g[o + i] : g[o + i] * y[o + i];
        dot = GroupExtensions.AllReduce<float, AddFloat>(dot);
        for (int i = lane; i < n; i += width)
        {
            if (log) gx[o + i] += g[o + i] - XMath.Exp(y[o + i]) * dot;
            else
            {
                float dz = (g[o + i] - dot) * y[o + i]; // through the softmax
                if (capped) dz *= 1f - tanh[o + i] * tanh[o + i]; // through c·tanh(u/c)
                gx[o + i] += dz * scale;
            }
        }
    }

    /// <summary>LayerNorm over the last axis: y = (x − mean)/√(var + eps) · w + b (biased variance). x (…, C), w (C), b (C) or null.</summary>
    public NormResult LayerNorm(DeviceBuffer x, DeviceBuffer weight, DeviceBuffer? bias, float eps) => Norm("LayerNorm", x, weight, bias, eps, centered: true);

    /// <summary>RMSNorm over the last axis: y = x / √(mean(x²) + eps) · w. x (…, C), w (C).</summary>
    public NormResult RmsNorm(DeviceBuffer x, DeviceBuffer weight, float eps) => Norm("RmsNorm", x, weight, null, eps, centered: false);

    /// <summary>
    /// Backward of <see cref="LayerNorm"/> from its saved statistics: gx += rstd·(d − mean(d) − x̂·mean(d ⊙ x̂)) with d = g ⊙ w,
    /// gw += Σ_rows g ⊙ x̂, gb += Σ_rows g. Any gradient may be null.
    /// </summary>
    public void LayerNormBackward(DeviceBuffer x, DeviceBuffer weight, NormResult saved, DeviceBuffer g, DeviceBuffer? gx, DeviceBuffer? gw, DeviceBuffer? gb) =>
        NormBackward("LayerNormBackward", x, weight, saved, g, gx, gw, gb, centered: true);

    /// <summary>Backward of <see cref="RmsNorm"/>: gx += rstd·(g ⊙ w − x̂·mean(g ⊙ w ⊙ x̂)), gw += Σ_rows g ⊙ x̂. Either gradient may be null.</summary>
    public void RmsNormBackward(DeviceBuffer x, DeviceBuffer weight, NormResult saved, DeviceBuffer g, DeviceBuffer? gx, DeviceBuffer? gw) =>
        NormBackward("RmsNormBackward", x, weight, saved, g, gx, gw, null, centered: false);

    private NormResult Norm(string op, DeviceBuffer x, DeviceBuffer weight, DeviceBuffer? bias, float eps, bool centered)
    {
        var shape = CheckNorm(op, x, weight, bias);
        int[] rowsShape = x.Shape[..^1];
        var y = device.Allocate(x.Shape);
        var mean = centered ? device.Allocate(rowsShape) : null;
        var rstd = device.Allocate(rowsShape);
        normKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormShape>(NormKernel);
        if (shape.Rows > 0 && shape.Width > 0)
            normKernel(new KernelConfig(shape.Rows, RowGroupSize), x.View, weight.View, bias?.View ?? Placeholder, y.View, mean?.View ?? Placeholder, rstd.View,
                shape with { Eps = eps, Centered = centered ? 1 : 0, HasBias = bias is null ? 0 : 1 });
        return new NormResult(y, mean, rstd);
    }

    private void NormBackward(string op, DeviceBuffer x, DeviceBuffer weight, NormResult saved, DeviceBuffer g, DeviceBuffer? gx, DeviceBuffer? gw, DeviceBuffer? gb, bool centered)
    {
        var shape = CheckNorm(op, x, weight, null) with { Centered = centered ? 1 : 0, GradWeight = gw is null ? 0 : 1, GradBias = gb is null ? 0 : 1 };
        RequireSameShape(op, "input", x, "gradient", g);
        if (gx is not null) RequireSameShape(op, "input", x, "input gradient", gx);
        if (gw is not null) RequireSameShape(op, "weight", weight, "weight gradient", gw);
        if (gb is not null) RequireSameShape(op, "weight", weight, "bias gradient", gb);
        if (saved.Rstd.Size != shape.Rows || centered && saved.Mean?.Size != shape.Rows)
            throw new ArgumentException($"{op}: saved statistics {Tensor.Format(saved.Rstd.Shape)} are not those of input {Tensor.Format(x.Shape)}.");
        if (shape.Rows == 0 || shape.Width == 0) return;
        var mean = saved.Mean?.View ?? Placeholder;
        if (gx is not null)
        {
            normGradKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, NormShape>(NormGradKernel);
            normGradKernel(new KernelConfig(shape.Rows, RowGroupSize), x.View, weight.View, mean, saved.Rstd.View, g.View, gx.View, shape);
        }
        if (gw is not null || gb is not null)
        {
            Run(new NormWeightGradOp(x.View, mean, saved.Rstd.View, g.View, gw?.View ?? Placeholder, gb?.View ?? Placeholder, shape), shape.Width);
        }
    }

    private NormShape CheckNorm(string op, DeviceBuffer x, DeviceBuffer weight, DeviceBuffer? bias)
    {
        int c = RowWidth(op, x);
        RequireHere(op, weight);
        if (bias is not null) RequireHere(op, bias);
        if (weight.Shape.Length != 1 || weight.Shape[0] != c || bias is not null && (bias.Shape.Length != 1 || bias.Shape[0] != c))
            throw new ArgumentException($"{op}: input {Tensor.Format(x.Shape)} does not match weight {Tensor.Format(weight.Shape)}{(bias is null ? "" : " and bias " + Tensor.Format(bias.Shape))}.");
        return new NormShape(c == 0 ? 0 : x.Size / c, c, 0f, 0, 0, 0, 0);
    }

    [DeviceKernel]
    private static void NormKernel(ArrayView<float> x, ArrayView<float> w, ArrayView<float> b, ArrayView<float> y, ArrayView<float> mean, ArrayView<float> rstd, NormShape s)
    {
        int row = Grid.IdxX, c = s.Width, o = row * c, lane = Group.IdxX, width = Group.DimX;
        float m = 0f;
        if (s.Centered != 0)
        {
            float sum = 0f;
            for (int i = lane; i < c; i += width) sum += x[o + i];
            m = GroupExtensions.AllReduce<float, AddFloat>(sum) / c;
        }
        float sq = 0f;
        for (int i = lane; i < c; i += width)
        {
            float d = x[o + i] - m;
            sq += d * d;
        }
        float r = 1f / XMath.Sqrt(GroupExtensions.AllReduce<float, AddFloat>(sq) / c + s.Eps);
        for (int i = lane; i < c; i += width)
            y[o + i] = (x[o + i] - m) * r * w[i] + (s.HasBias != 0 ? b[i] : 0f);
        if (lane == 0)
        {
            rstd[row] = r;
            if (s.Centered != 0) mean[row] = m;
        }
    }

    [DeviceKernel]
    private static void NormGradKernel(ArrayView<float> x, ArrayView<float> w, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> g, ArrayView<float> gx, NormShape s)
    {
        int row = Grid.IdxX, c = s.Width, o = row * c, lane = Group.IdxX, width = Group.DimX;
        float m = s.Centered != 0 ? mean[row] : 0f, r = rstd[row];
        float sumD = 0f, sumDx = 0f;
        for (int i = lane; i < c; i += width)
        {
            float d = g[o + i] * w[i];
            sumD += d;
            sumDx += d * (x[o + i] - m) * r;
        }
        float meanD = s.Centered != 0 ? GroupExtensions.AllReduce<float, AddFloat>(sumD) / c : 0f;
        float meanDx = GroupExtensions.AllReduce<float, AddFloat>(sumDx) / c;
        for (int i = lane; i < c; i += width)
            gx[o + i] += r * (g[o + i] * w[i] - meanD - (x[o + i] - m) * r * meanDx);
    }

    /// <summary>gw[j] += Σ_r g[r, j]·x̂[r, j], gb[j] += Σ_r g[r, j]: one index per channel j.</summary>
    internal readonly struct NormWeightGradOp(ArrayView<float> x, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> g, ArrayView<float> gw, ArrayView<float> gb, NormShape s) : IElementOp
    {
        private readonly ArrayView<float> x = x, mean = mean, rstd = rstd, g = g, gw = gw, gb = gb;
        private readonly NormShape s = s;

        public void Apply(int j)
        {
            float sw = 0f, sb = 0f;
            for (int r = 0; r < s.Rows; r++)
            {
                int k = r * s.Width + j;
                float xhat = (x[k] - (s.Centered != 0 ? mean[r] : 0f)) * rstd[r];
                sw += g[k] * xhat;
                sb += g[k];
            }
            if (s.GradWeight != 0) gw[j] += sw;
            if (s.GradBias != 0) gb[j] += sb;
        }
    }
}
