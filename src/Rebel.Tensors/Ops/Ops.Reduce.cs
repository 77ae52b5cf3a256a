// Reductions (sum, mean, max along an axis or over everything) and the softmax family along the last axis.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>Sum of all elements, as a scalar (shape []).</summary>
    public static Tensor Sum(Tensor a)
    {
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor([], device.Sum(a, null), isParameter: false);
            return Autograd.Record(yd, "sum", [a], () => device.SumBackward(a, null, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Uninitialized([]);
        y.Span[0] = TensorPrimitives.Sum(a.Span);
        return Autograd.Record(y, "sum", [a], () => TensorPrimitives.Add(a.GradSpan, y.GradSpan[0], a.GradSpan));
    }

    /// <summary>Mean of all elements, as a scalar.</summary>
    public static Tensor Mean(Tensor a) => Mul(Sum(a), 1f / Math.Max(a.Size, 1));

    /// <summary>Sum along <paramref name="axis"/>: (…, n, …) → (…, …), or (…, 1, …) with <paramref name="keepDim"/>.</summary>
    public static Tensor Sum(Tensor a, int axis, bool keepDim = false)
    {
        var (outer, n, inner, shape) = SplitAxis(a, axis, keepDim, "Sum");
        if (AcceleratorOf(a) is { } device)
        {
            int ax = Tensor.NormalizeAxis(axis, a.Rank, "Sum");
            var yd = new Tensor(shape, device.Sum(a, ax), isParameter: false);
            return Autograd.Record(yd, "sum_axis", [a], () => device.SumBackward(a, ax, yd.DeviceGrad, a.DeviceGrad));
        }
        var y = Tensor.Zeros(shape);
        var x = a.Span; var yv = y.Span;
        if (inner == 1)
        {
            // Last axis: one contiguous row per output element.
            for (int o = 0; o < outer; o++) yv[o] = TensorPrimitives.Sum(x.Slice(o * n, n));
        }
        else
        {
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < n; j++)
                    TensorPrimitives.Add(yv.Slice(o * inner, inner), x.Slice((o * n + j) * inner, inner), yv.Slice(o * inner, inner));
        }
        return Autograd.Record(y, "sum_axis", [a], () =>
        {
            var g = y.GradSpan; var ga = a.GradSpan;
            if (inner == 1)
            {
                for (int o = 0; o < outer; o++) TensorPrimitives.Add(ga.Slice(o * n, n), g[o], ga.Slice(o * n, n));
                return;
            }
            for (int o = 0; o < outer; o++)
                for (int j = 0; j < n; j++)
                    TensorPrimitives.Add(ga.Slice((o * n + j) * inner, inner), g.Slice(o * inner, inner), ga.Slice((o * n + j) * inner, inner));
        });
    }

    /// <summary>Mean along <paramref name="axis"/>.</summary>
    public static Tensor Mean(Tensor a, int axis, bool keepDim = false) =>
        Mul(Sum(a, axis, keepDim), 1f / Math.Max(a.Dim(axis), 1));

    /// <summary>Maximum of all elements, as a scalar; the gradient flows to the first maximal element.</summary>
    public static Tensor Max(Tensor a) => Max(Reshape(a, a.Size), 0);

    /// <summary>Maximum along <paramref name="axis"/>; the gradient flows to the first maximal element.</summary>
    public static Tensor Max(Tensor a, int axis, bool keepDim = false)
    {
        var (outer, n, inner, shape) = SplitAxis(a, axis, keepDim, "Max");
        if (AcceleratorOf(a) is { } device)
        {
            int ax = Tensor.NormalizeAxis(axis, a.Rank, "Max");
            var yd = new Tensor(shape, device.Max(a, ax), isParameter: false);
            return Autograd.Record(yd, "max", [a], () => device.MaxBackward(a, ax, yd.DeviceGrad, a.DeviceGrad));
        }
        if (n == 0) throw new ArgumentException($"Max: axis {axis} of shape {Tensor.Format(a.Shape)} is empty.");
        var y = Tensor.Uninitialized(shape);
        var arg = new int[outer * inner];
        var x = a.Span; var yv = y.Span;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0; float bv = x[o * n * inner + i];
                for (int j = 1; j < n; j++)
                {
                    float v = x[(o * n + j) * inner + i];
                    if (v > bv || float.IsNaN(v)) { bv = v; best = j; }
                }
                yv[o * inner + i] = bv;
                arg[o * inner + i] = best;
            }
        }
        return Autograd.Record(y, "max", [a], () =>
        {
            var g = y.GradSpan; var ga = a.GradSpan;
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                    ga[(o * n + arg[o * inner + i]) * inner + i] += g[o * inner + i];
        });
    }

    /// <summary>Softmax along the last axis: yᵢ = e^(xᵢ − max) / Σⱼ e^(xⱼ − max).</summary>
    public static Tensor Softmax(Tensor a)
    {
        int n = LastDim(a, "Softmax");
        if (AcceleratorOf(a) is { } device) return DeviceSoftmax("softmax", device, a, log: false);
        var y = Tensor.Uninitialized(a.Shape);
        var x = a.Span; var yv = y.Span;
        for (int r = 0; r < a.Size / Math.Max(n, 1); r++) SoftmaxRow(x.Slice(r * n, n), yv.Slice(r * n, n));
        return Autograd.Record(y, "softmax", [a], () =>
        {
            var g = y.GradSpan; var ga = a.GradSpan; var yy = y.Span;
            for (int r = 0; r < a.Size / Math.Max(n, 1); r++)
            {
                var gr = g.Slice(r * n, n); var yr = yy.Slice(r * n, n); var gar = ga.Slice(r * n, n);
                float dot = TensorPrimitives.Dot(gr, yr);
                for (int i = 0; i < n; i++) gar[i] += yr[i] * (gr[i] - dot);
            }
        });
    }

    /// <summary>Log-softmax along the last axis: yᵢ = xᵢ − max − ln Σⱼ e^(xⱼ − max).</summary>
    public static Tensor LogSoftmax(Tensor a)
    {
        int n = LastDim(a, "LogSoftmax");
        if (AcceleratorOf(a) is { } device) return DeviceSoftmax("log_softmax", device, a, log: true);
        var y = Tensor.Uninitialized(a.Shape);
        var x = a.Span; var yv = y.Span;
        for (int r = 0; r < a.Size / Math.Max(n, 1); r++) LogSoftmaxRow(x.Slice(r * n, n), yv.Slice(r * n, n));
        return Autograd.Record(y, "log_softmax", [a], () =>
        {
            Span<float> chunk = stackalloc float[256];
            var g = y.GradSpan; var ga = a.GradSpan; var yy = y.Span;
            for (int r = 0; r < a.Size / Math.Max(n, 1); r++)
            {
                var gr = g.Slice(r * n, n); var yr = yy.Slice(r * n, n); var gar = ga.Slice(r * n, n);
                float sum = TensorPrimitives.Sum(gr);
                TensorPrimitives.Add(gar, gr, gar);
                for (int i = 0; i < n; i += chunk.Length) // gar −= e^y · Σg, e^y vectorised a chunk at a time
                {
                    int len = Math.Min(chunk.Length, n - i);
                    var e = chunk[..len];
                    TensorPrimitives.Exp(yr.Slice(i, len), e);
                    TensorPrimitives.MultiplyAdd(e, -sum, gar.Slice(i, len), gar.Slice(i, len));
                }
            }
        });
    }

    private static Tensor DeviceSoftmax(string name, TensorDevice device, Tensor a, bool log)
    {
        var y = new Tensor((int[])a.Shape.Clone(), device.Softmax(a, log), isParameter: false);
        return Autograd.Record(y, name, [a], () => device.SoftmaxBackward(y, log, y.DeviceGrad, a.DeviceGrad));
    }

    /// <summary>Numerically stable softmax of one row.</summary>
    public static void SoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length == 0) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Divide(y, TensorPrimitives.Sum(y), y);
    }

    /// <summary>Numerically stable log-softmax of one row.</summary>
    public static void LogSoftmaxRow(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length == 0) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        float lse = LogSumExpShifted(y);
        TensorPrimitives.Subtract(y, lse, y);
    }

    /// <summary>ln Σ e^(xᵢ) for a row already shifted so its max is 0: e^x in chunks through a stack buffer (vectorised, no allocation).</summary>
    internal static float LogSumExpShifted(ReadOnlySpan<float> shifted)
    {
        Span<float> chunk = stackalloc float[256];
        double sum = 0;
        for (int i = 0; i < shifted.Length; i += chunk.Length)
        {
            var part = shifted.Slice(i, Math.Min(chunk.Length, shifted.Length - i));
            var e = chunk[..part.Length];
            TensorPrimitives.Exp(part, e);
            sum += TensorPrimitives.Sum(e);
        }
        return (float)Math.Log(sum);
    }

    /// <summary>Reference for <see cref="LogSumExpShifted"/>: one scalar e^x per element, summed in double.</summary>
    internal static float LogSumExpShiftedReference(ReadOnlySpan<float> shifted)
    {
        double sum = 0;
        for (int i = 0; i < shifted.Length; i++) sum += MathF.Exp(shifted[i]);
        return (float)Math.Log(sum);
    }

    private static int LastDim(Tensor a, string op)
    {
        if (a.Rank == 0) throw new ArgumentException($"{op}: needs at least one dimension, got a scalar.");
        return a.Shape[^1];
    }

    private static (int Outer, int N, int Inner, int[] Shape) SplitAxis(Tensor a, int axis, bool keepDim, string op)
    {
        int ax = Tensor.NormalizeAxis(axis, a.Rank, op);
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= a.Shape[i];
        for (int i = ax + 1; i < a.Rank; i++) inner *= a.Shape[i];
        int[] shape;
        if (keepDim) { shape = (int[])a.Shape.Clone(); shape[ax] = 1; }
        else shape = [.. a.Shape[..ax], .. a.Shape[(ax + 1)..]];
        return (outer, a.Shape[ax], inner, shape);
    }
}
