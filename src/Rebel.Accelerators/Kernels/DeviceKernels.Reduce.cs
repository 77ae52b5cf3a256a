// Reductions along any axis, as the engine's Ops.Sum / Ops.Mean / Ops.Max with an axis: the input viewed as (outer, n, inner), the
// result (outer, inner) (with a 1 in place of n when keepDim). The last axis (inner = 1) takes a row kernel (one group per row);
// any other axis one index per output element, looping over n (adjacent outputs read adjacent memory). Max keeps the engine's
// rule — the first maximal element wins, and a NaN replaces the running best, so the last NaN wins where there is one — and its
// backward finds that element again from x, so nothing but x is saved.
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;
using ILGPU.Runtime;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>x viewed as (Outer, N, Inner) around the reduced axis of length N.</summary>
    internal readonly record struct AxisSplit(int Outer, int N, int Inner);

    /// <summary>Sum along <paramref name="axis"/> (negative counts from the end): (…, n, …) → (…, …), or (…, 1, …) with <paramref name="keepDim"/>.</summary>
    public DeviceBuffer SumAxis(DeviceBuffer x, int axis, bool keepDim = false) => Reduce("Sum", x, axis, keepDim, ReduceSum, 1f);

    /// <summary>Mean along <paramref name="axis"/>: the sum times 1/n (the engine's Mul(Sum, 1/n)).</summary>
    public DeviceBuffer MeanAxis(DeviceBuffer x, int axis, bool keepDim = false)
    {
        int ax = Axis("Mean", x.Shape, axis);
        return Reduce("Mean", x, axis, keepDim, ReduceSum, 1f / Math.Max(x.Shape[ax], 1));
    }

    /// <summary>Maximum along <paramref name="axis"/>; ties go to the first maximal element.</summary>
    public DeviceBuffer MaxAxis(DeviceBuffer x, int axis, bool keepDim = false)
    {
        int ax = Axis("Max", x.Shape, axis);
        if (x.Shape[ax] == 0) throw new ArgumentException($"Max: axis {axis} of shape {Tensor.Format(x.Shape)} is empty.");
        return Reduce("Max", x, axis, keepDim, ReduceMax, 1f);
    }

    /// <summary>Backward of <see cref="SumAxis"/>: gx[o, j, i] += g[o, i] for every j along the axis (g with or without the kept 1).</summary>
    public void SumAxisBackward(DeviceBuffer g, DeviceBuffer gx, int axis) => SpreadBackward("SumBackward", g, gx, axis, 1f);

    /// <summary>Backward of <see cref="MeanAxis"/>: gx[o, j, i] += g[o, i] / n.</summary>
    public void MeanAxisBackward(DeviceBuffer g, DeviceBuffer gx, int axis)
    {
        int ax = Axis("MeanBackward", gx.Shape, axis);
        SpreadBackward("MeanBackward", g, gx, axis, 1f / Math.Max(gx.Shape[ax], 1));
    }

    /// <summary>Backward of <see cref="MaxAxis"/> from its input x: g[o, i] goes to x's first maximal element along the axis.</summary>
    public void MaxAxisBackward(DeviceBuffer x, DeviceBuffer g, DeviceBuffer gx, int axis)
    {
        const string op = "MaxBackward";
        RequireSameShape(op, "input", x, "input gradient", gx);
        var split = CheckReducedGradient(op, g, x, axis);
        if (g.Size == 0 || split.N == 0) return;
        if (split.Inner == 1) RowMax(x, Placeholder, g.View, gx.View, g.Size, split.N, backward: true);
        else Run(new ArgMaxGradOp(x.View, g.View, gx.View, split), g.Size);
    }

    private Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>? rowMaxKernel;

    // Max over the last axis, one group per row: forward y[row] = x[row, arg]; backward gx[row, arg] += g[row].
    private void RowMax(DeviceBuffer x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, int rows, int n, bool backward)
    {
        rowMaxKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(RowMaxKernel);
        rowMaxKernel(new KernelConfig(rows, RowGroupSize), x.View, y, g, gx, n, backward ? 1 : 0);
    }

    // The engine's arg max of a row by three group reductions: the last NaN if any, else the first element equal to the max.
    [DeviceKernel]
    private static void RowMaxKernel(ArrayView<float> x, ArrayView<float> y, ArrayView<float> g, ArrayView<float> gx, int n, int backward)
    {
        int row = Grid.IdxX, o = row * n, lane = Group.IdxX, width = Group.DimX;
        float max = float.NegativeInfinity;
        int lastNan = -1;
        for (int i = lane; i < n; i += width)
        {
            float v = x[o + i];
            if (XMath.IsNaN(v)) lastNan = i;
            else max = XMath.Max(max, v);
        }
        max = GroupExtensions.AllReduce<float, MaxFloat>(max);
        lastNan = GroupExtensions.AllReduce<int, MaxInt32>(lastNan);
        int first = n;
        for (int i = lane; i < n && first == n; i += width) if (x[o + i] == max) first = i;
        first = GroupExtensions.AllReduce<int, MinInt32>(first);
        // No element equals the max only when all are −∞ (the reduction's identity, float.MinValue, outranks −∞): then the first.
        int arg = lastNan >= 0 ? lastNan : first < n ? first : 0;
        if (lane != 0) return;
        if (backward != 0) gx[o + arg] += g[row];
        else y[row] = x[o + arg];
    }

    private const int ReduceSum = 0, ReduceMax = 1;

    private DeviceBuffer Reduce(string op, DeviceBuffer x, int axis, bool keepDim, int kind, float scale)
    {
        RequireHere(op, x);
        var (split, shape) = SplitAxis(op, x.Shape, axis, keepDim);
        var y = device.Allocate(shape);
        if (y.Size == 0 || split.N == 0) return y;
        if (kind == ReduceMax && split.Inner == 1) RowMax(x, y.View, Placeholder, Placeholder, y.Size, split.N, backward: false);
        else if (kind == ReduceSum && split.Inner == 1)
        {
            rowSumKernel ??= Accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, int>(RowSumKernel);
            rowSumKernel(new KernelConfig(y.Size, RowGroupSize), x.View, y.View, split.N);
            if (scale != 1f) Run(new ScaleOp(y.View, y.View, scale, accumulate: false), y.Size);
        }
        else Run(new AxisReduceOp(x.View, y.View, split, kind, scale), y.Size);
        return y;
    }

    private void SpreadBackward(string op, DeviceBuffer g, DeviceBuffer gx, int axis, float scale)
    {
        var split = CheckReducedGradient(op, g, gx, axis);
        Run(new AxisSpreadOp(g.View, gx.View, split, scale), gx.Size);
    }

    // g must be x reduced along axis, with or without the kept 1.
    private AxisSplit CheckReducedGradient(string op, DeviceBuffer g, DeviceBuffer x, int axis)
    {
        RequireHere(op, g);
        RequireHere(op, x);
        var (split, dropped) = SplitAxis(op, x.Shape, axis, keepDim: false);
        var (_, kept) = SplitAxis(op, x.Shape, axis, keepDim: true);
        if (!g.Shape.AsSpan().SequenceEqual(dropped) && !g.Shape.AsSpan().SequenceEqual(kept))
            throw new ArgumentException($"{op}: gradient {Tensor.Format(g.Shape)} is not that of {Tensor.Format(x.Shape)} reduced along axis {axis}.");
        return split;
    }

    private static (AxisSplit Split, int[] Shape) SplitAxis(string op, int[] shape, int axis, bool keepDim)
    {
        int ax = Axis(op, shape, axis), outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= shape[i];
        for (int i = ax + 1; i < shape.Length; i++) inner *= shape[i];
        int[] reduced = keepDim ? [.. shape[..ax], 1, .. shape[(ax + 1)..]] : [.. shape[..ax], .. shape[(ax + 1)..]];
        return (new AxisSplit(outer, shape[ax], inner), reduced);
    }

    /// <summary>y[o, i] = scale · Σ_j x[o, j, i] (sum) or max_j x[o, j, i] (max, first maximal; a NaN replaces the running best).</summary>
    internal readonly struct AxisReduceOp(ArrayView<float> x, ArrayView<float> y, AxisSplit s, int kind, float scale) : IElementOp
    {
        private readonly ArrayView<float> x = x, y = y;
        private readonly AxisSplit s = s;
        private readonly int kind = kind;
        private readonly float scale = scale;

        public void Apply(int k)
        {
            int o = k / s.Inner, i = k % s.Inner, at = o * s.N * s.Inner + i;
            if (kind == ReduceSum)
            {
                float sum = 0f;
                for (int j = 0; j < s.N; j++) sum += x[at + j * s.Inner];
                y[k] = scale * sum;
            }
            else y[k] = x[at + ArgMax(x, at, s) * s.Inner];
        }
    }

    /// <summary>gx[o, j, i] += scale · g[o, i].</summary>
    internal readonly struct AxisSpreadOp(ArrayView<float> g, ArrayView<float> gx, AxisSplit s, float scale) : IElementOp
    {
        private readonly ArrayView<float> g = g, gx = gx;
        private readonly AxisSplit s = s;
        private readonly float scale = scale;

        public void Apply(int k) => gx[k] += scale * g[k / (s.N * s.Inner) * s.Inner + k % s.Inner];
    }

    /// <summary>gx[o, argmax, i] += g[o, i], one index per output element (each writes its own element of gx).</summary>
    internal readonly struct ArgMaxGradOp(ArrayView<float> x, ArrayView<float> g, ArrayView<float> gx, AxisSplit s) : IElementOp
    {
        private readonly ArrayView<float> x = x, g = g, gx = gx;
        private readonly AxisSplit s = s;

        public void Apply(int k)
        {
            int at = k / s.Inner * s.N * s.Inner + k % s.Inner;
            gx[at + ArgMax(x, at, s) * s.Inner] += g[k];
        }
    }

    // The engine's Max rule over x[at + j·Inner], j < N: the first strictly larger element, or any NaN, replaces the best.
    private static int ArgMax(ArrayView<float> x, int at, AxisSplit s)
    {
        int best = 0;
        float bv = x[at];
        for (int j = 1; j < s.N; j++)
        {
            float v = x[at + j * s.Inner];
            if (v > bv || XMath.IsNaN(v)) { bv = v; best = j; }
        }
        return best;
    }
}
