// Shape ops: Reshape (a view sharing data), Transpose of two axes, Concat and Slice along an axis.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>A view with a new shape over the same data; one dimension may be −1 (inferred).</summary>
    public static Tensor Reshape(Tensor a, params int[] shape)
    {
        var resolved = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: more than one −1 in {Tensor.Format(shape)}.");
                infer = i;
            }
            else known *= resolved[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || a.Size % known != 0) throw new ArgumentException($"Reshape: cannot reshape {Tensor.Format(a.Shape)} to {Tensor.Format(shape)}.");
            resolved[infer] = a.Size / known;
        }
        if (Tensor.ShapeSize(resolved) != a.Size) throw new ArgumentException($"Reshape: cannot reshape {Tensor.Format(a.Shape)} to {Tensor.Format(shape)}.");
        if (a.IsOnDevice)
        {
            var yd = new Tensor(resolved, a.Storage, isParameter: false);
            return Autograd.Record(yd, "reshape", [a], () => a.Device.Accumulate(yd.DeviceGrad, a.DeviceGrad, a.Size));
        }
        var y = new Tensor(resolved, a.Data, a.Offset, isParameter: false);
        return Autograd.Record(y, "reshape", [a], () => TensorPrimitives.Add(a.GradSpan, y.GradSpan, a.GradSpan));
    }

    /// <summary>Swaps axes <paramref name="axis0"/> and <paramref name="axis1"/>. A view when the swap leaves the memory order alone, else a copy.</summary>
    public static Tensor Transpose(Tensor a, int axis0, int axis1)
    {
        int d0 = Tensor.NormalizeAxis(axis0, a.Rank, "Transpose"), d1 = Tensor.NormalizeAxis(axis1, a.Rank, "Transpose");
        if (d0 > d1) (d0, d1) = (d1, d0);
        int[] shape = (int[])a.Shape.Clone();
        (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        bool orderKept = d0 == d1 || (a.Shape[d0] == 1 || a.Shape[d1] == 1) && AllOnesBetween(a.Shape, d0, d1);
        if (orderKept) return Reshape(a, shape);
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor(shape, device.Transpose(a, d0, d1), isParameter: false);
            return Autograd.Record(yd, "transpose", [a], () => device.TransposeBackward(a, d0, d1, yd.DeviceGrad, a.DeviceGrad));
        }
        // View a as (outer, n0, mid, n1, inner) and swap n0 with n1.
        int outer = 1, mid = 1, inner = 1, n0 = a.Shape[d0], n1 = a.Shape[d1];
        for (int i = 0; i < d0; i++) outer *= a.Shape[i];
        for (int i = d0 + 1; i < d1; i++) mid *= a.Shape[i];
        for (int i = d1 + 1; i < a.Rank; i++) inner *= a.Shape[i];
        var y = Tensor.Uninitialized(shape);
        SwapAxes(a.Span, y.Span, outer, n0, mid, n1, inner, accumulate: false);
        return Autograd.Record(y, "transpose", [a], () => SwapAxes(y.GradSpan, a.GradSpan, outer, n1, mid, n0, inner, accumulate: true));
    }

    private static bool AllOnesBetween(int[] shape, int d0, int d1)
    {
        for (int i = d0 + 1; i < d1; i++) if (shape[i] != 1) return false;
        return true;
    }

    // x is (outer, n0, mid, n1, inner); y is (outer, n1, mid, n0, inner).
    private static void SwapAxes(ReadOnlySpan<float> x, Span<float> y, int outer, int n0, int mid, int n1, int inner, bool accumulate)
    {
        if (inner == 1)
        {
            // Swapping the last axis: single elements, so index directly rather than through one-element spans.
            for (int o = 0; o < outer; o++)
                for (int i0 = 0; i0 < n0; i0++)
                    for (int m = 0; m < mid; m++)
                    {
                        int src = ((o * n0 + i0) * mid + m) * n1, dst = (o * n1 * mid + m) * n0 + i0;
                        for (int i1 = 0; i1 < n1; i1++, dst += mid * n0)
                            y[dst] = accumulate ? y[dst] + x[src + i1] : x[src + i1];
                    }
            return;
        }
        for (int o = 0; o < outer; o++)
            for (int i0 = 0; i0 < n0; i0++)
                for (int m = 0; m < mid; m++)
                    for (int i1 = 0; i1 < n1; i1++)
                    {
                        var src = x.Slice((((o * n0 + i0) * mid + m) * n1 + i1) * inner, inner);
                        var dst = y.Slice((((o * n1 + i1) * mid + m) * n0 + i0) * inner, inner);
                        if (accumulate) TensorPrimitives.Add(dst, src, dst);
                        else src.CopyTo(dst);
                    }
    }

    /// <summary>Joins tensors along <paramref name="axis"/>; all other dimensions must agree.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int axis)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat: no tensors.");
        var first = tensors[0];
        int ax = Tensor.NormalizeAxis(axis, first.Rank, "Concat");
        int total = 0;
        foreach (var t in tensors)
        {
            bool ok = t.Rank == first.Rank;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == ax || t.Shape[i] == first.Shape[i];
            if (!ok) throw new ArgumentException($"Concat: shape {Tensor.Format(t.Shape)} does not match {Tensor.Format(first.Shape)} outside axis {axis}.");
            total += t.Shape[ax];
        }
        int outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= first.Shape[i];
        for (int i = ax + 1; i < first.Rank; i++) inner *= first.Shape[i];
        var shape = (int[])first.Shape.Clone();
        shape[ax] = total;
        if (AnyOnDevice(tensors) && AcceleratorOf("Concat", tensors.ToArray()) is { } device) // the host path copies no list
        {
            var xs = tensors.ToArray();
            var yd = new Tensor(shape, device.Concat(xs, ax), isParameter: false);
            return Autograd.Record(yd, "concat", xs, () => device.ConcatBackward(xs, ax, yd.DeviceGrad, [.. xs.Select(GradIfNeeded)]));
        }
        var y = Tensor.Uninitialized(shape);
        var yv = y.Span;
        int offset = 0;
        foreach (var t in tensors)
        {
            int w = t.Shape[ax] * inner;
            var tv = t.Span;
            for (int o = 0; o < outer; o++) tv.Slice(o * w, w).CopyTo(yv.Slice(o * total * inner + offset, w));
            offset += w;
        }
        var parents = tensors.ToArray();
        return Autograd.Record(y, "concat", parents, () =>
        {
            var g = y.GradSpan;
            int off = 0;
            foreach (var t in parents)
            {
                int w = t.Shape[ax] * inner;
                if (t.RequiresGrad)
                {
                    var gt = t.GradSpan;
                    for (int o = 0; o < outer; o++) TensorPrimitives.Add(gt.Slice(o * w, w), g.Slice(o * total * inner + off, w), gt.Slice(o * w, w));
                }
                off += w;
            }
        });
    }

    /// <summary>Elements [start, start + length) along <paramref name="axis"/>. A view when the slice is contiguous (leading axes all 1), else a copy.</summary>
    public static Tensor Slice(Tensor a, int axis, int start, int length)
    {
        int ax = Tensor.NormalizeAxis(axis, a.Rank, "Slice");
        if (start < 0 || length < 0 || start + length > a.Shape[ax])
            throw new ArgumentException($"Slice: [{start}, {start + length}) is outside axis {axis} of {Tensor.Format(a.Shape)}.");
        int outer = 1, inner = 1, n = a.Shape[ax];
        for (int i = 0; i < ax; i++) outer *= a.Shape[i];
        for (int i = ax + 1; i < a.Rank; i++) inner *= a.Shape[i];
        var shape = (int[])a.Shape.Clone();
        shape[ax] = length;
        if (AcceleratorOf(a) is { } device)
        {
            var yd = new Tensor(shape, device.Slice(a, ax, start, length), isParameter: false);
            return Autograd.Record(yd, "slice", [a], () => device.SliceBackward(a, ax, start, length, yd.DeviceGrad, a.DeviceGrad));
        }
        Tensor y;
        if (outer == 1)
        {
            y = new Tensor(shape, a.Data, a.Offset + start * inner, isParameter: false);
        }
        else
        {
            y = Tensor.Uninitialized(shape);
            var x = a.Span; var yv = y.Span;
            for (int o = 0; o < outer; o++) x.Slice((o * n + start) * inner, length * inner).CopyTo(yv.Slice(o * length * inner, length * inner));
        }
        return Autograd.Record(y, "slice", [a], () =>
        {
            var g = y.GradSpan; var ga = a.GradSpan;
            int w = length * inner;
            for (int o = 0; o < outer; o++)
            {
                var dst = ga.Slice((o * n + start) * inner, w);
                TensorPrimitives.Add(dst, g.Slice(o * w, w), dst);
            }
        });
    }
}
