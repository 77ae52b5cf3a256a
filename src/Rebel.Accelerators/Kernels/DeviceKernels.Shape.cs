// Shape kernels: swapping two axes (attention's (B, T, H, D) ↔ (B, H, T, D)), and slicing / concatenating along an axis (the
// fused qkv and gate-up projections split apart). One index per element of the smaller side; each backward reads the same index
// map the other way and accumulates. Every element of one side has exactly one partner on the other, so no two indices collide.
using ILGPU;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>x viewed as (outer, n0, mid, n1, inner), the two swapped axes being n0 and n1.</summary>
    internal readonly record struct TransposeShape(int Outer, int N0, int Mid, int N1, int Inner);

    /// <summary>Swaps axes <paramref name="axis0"/> and <paramref name="axis1"/> (negative axes count from the end) into a new buffer.</summary>
    public DeviceBuffer Transpose(DeviceBuffer x, int axis0, int axis1)
    {
        var y = device.Allocate(TransposeShapes("Transpose", x.Shape, axis0, axis1).Shape);
        TransposeInto(x, y, axis0, axis1);
        return y;
    }

    /// <summary>As <see cref="Transpose"/>, into an existing buffer y of the swapped shape (a view of another shape's memory, say).</summary>
    internal void TransposeInto(DeviceBuffer x, DeviceBuffer y, int axis0, int axis1)
    {
        var (shape, view) = TransposeShapes("Transpose", x.Shape, axis0, axis1);
        RequireHere("Transpose", x);
        RequireHere("Transpose", y);
        if (!y.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"Transpose: output {Tensor.Format(y.Shape)} is not input {Tensor.Format(x.Shape)} with axes {axis0} and {axis1} swapped.");
        Run(new TransposeOp(x.View, y.View, view, backward: false), y.Size);
    }

    /// <summary>Backward of <see cref="Transpose"/>: gx += gᵀ, g having the transposed shape and gx the input's.</summary>
    public void TransposeBackward(DeviceBuffer g, DeviceBuffer gx, int axis0, int axis1)
    {
        var (shape, view) = TransposeShapes("TransposeBackward", gx.Shape, axis0, axis1);
        RequireHere("TransposeBackward", g);
        RequireHere("TransposeBackward", gx);
        if (!g.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"TransposeBackward: gradient {Tensor.Format(g.Shape)} is not input {Tensor.Format(gx.Shape)} with axes {axis0} and {axis1} swapped.");
        Run(new TransposeOp(g.View, gx.View, view, backward: true), g.Size);
    }

    private static (int[] Shape, TransposeShape View) TransposeShapes(string op, int[] input, int axis0, int axis1)
    {
        int rank = input.Length;
        int d0 = axis0 < 0 ? axis0 + rank : axis0, d1 = axis1 < 0 ? axis1 + rank : axis1;
        if ((uint)d0 >= (uint)rank || (uint)d1 >= (uint)rank)
            throw new ArgumentException($"{op}: axes {axis0} and {axis1} are out of range for shape {Tensor.Format(input)}.");
        if (d0 > d1) (d0, d1) = (d1, d0);
        var shape = (int[])input.Clone();
        (shape[d0], shape[d1]) = (shape[d1], shape[d0]);
        int outer = 1, mid = 1, inner = 1;
        for (int i = 0; i < d0; i++) outer *= input[i];
        for (int i = d0 + 1; i < d1; i++) mid *= input[i];
        for (int i = d1 + 1; i < rank; i++) inner *= input[i];
        return (shape, new TransposeShape(outer, input[d0], mid, d0 == d1 ? 1 : input[d1], inner));
    }

    /// <summary>Output element i of the swap reads input element Map(i); backward, input gradient Map(i) += output gradient i.</summary>
    internal readonly struct TransposeOp(ArrayView<float> src, ArrayView<float> dst, TransposeShape s, bool backward) : IElementOp
    {
        private readonly ArrayView<float> src = src, dst = dst;
        private readonly TransposeShape s = s;
        private readonly int backward = backward ? 1 : 0;

        public void Apply(int i)
        {
            // i indexes the swapped layout (outer, n1, mid, n0, inner).
            int k = i % s.Inner, t = i / s.Inner;
            int j0 = t % s.N0; t /= s.N0;
            int m = t % s.Mid; t /= s.Mid;
            int j1 = t % s.N1, o = t / s.N1;
            int x = (((o * s.N0 + j0) * s.Mid + m) * s.N1 + j1) * s.Inner + k;
            if (backward != 0) dst[x] += src[i];
            else dst[i] = src[x];
        }
    }

    /// <summary>A block along one axis: the large side viewed as (outer, n, inner), the small side (outer, length, inner) at offset start.</summary>
    internal readonly record struct AxisBlock(int N, int Length, int Inner, int Start);

    /// <summary>Elements [start, start + length) along <paramref name="axis"/> (negative counts from the end), copied into a new buffer.</summary>
    public DeviceBuffer Slice(DeviceBuffer x, int axis, int start, int length)
    {
        RequireHere("Slice", x);
        var (ax, block) = SliceBlock("Slice", x.Shape, axis, start, length);
        var shape = (int[])x.Shape.Clone();
        shape[ax] = length;
        var y = device.Allocate(shape);
        Run(new AxisBlockOp(x.View, y.View, block, toLarge: false, accumulate: false), y.Size);
        return y;
    }

    /// <summary>Backward of <see cref="Slice"/>: gx[…, start + j, …] += g[…, j, …].</summary>
    public void SliceBackward(DeviceBuffer g, DeviceBuffer gx, int axis, int start) =>
        Run(new AxisBlockOp(g.View, gx.View, BlockOf("SliceBackward", "gradient ", g, "slice", gx, axis, start), toLarge: true, accumulate: true), g.Size);

    /// <summary>Overwrites elements [start, start + x's length) along <paramref name="axis"/> of <paramref name="large"/> with x (a key/value cache's new positions).</summary>
    internal void CopyInto(DeviceBuffer x, DeviceBuffer large, int axis, int start) =>
        Run(new AxisBlockOp(x.View, large.View, BlockOf("CopyInto", "", x, "block", large, axis, start), toLarge: true, accumulate: false), x.Size);

    // The block of `large` that `small` fills along `axis` from `start`: both here, every other axis equal (else an error naming
    // "{smallName}{small's shape} is not a {blockName} of {large's shape}").
    private AxisBlock BlockOf(string op, string smallName, DeviceBuffer small, string blockName, DeviceBuffer large, int axis, int start)
    {
        RequireHere(op, small);
        RequireHere(op, large);
        int ax = Axis(op, large.Shape, axis);
        bool matches = small.Shape.Length == large.Shape.Length;
        for (int i = 0; matches && i < small.Shape.Length; i++) matches = i == ax || small.Shape[i] == large.Shape[i];
        if (!matches) throw new ArgumentException($"{op}: {smallName}{Tensor.Format(small.Shape)} is not a {blockName} of {Tensor.Format(large.Shape)} along axis {axis}.");
        return SliceBlock(op, large.Shape, axis, start, small.Shape[ax]).Block;
    }

    /// <summary>The buffers joined along <paramref name="axis"/>; all other dimensions must agree.</summary>
    public DeviceBuffer Concat(IReadOnlyList<DeviceBuffer> xs, int axis)
    {
        var (ax, shape) = ConcatShape("Concat", xs, axis);
        var y = device.Allocate(shape);
        int start = 0;
        foreach (var x in xs)
        {
            Run(new AxisBlockOp(x.View, y.View, Block(shape, ax, start, x.Shape[ax]), toLarge: true, accumulate: false), x.Size);
            start += x.Shape[ax];
        }
        return y;
    }

    /// <summary>Backward of <see cref="Concat"/>: each input's gradient (null to skip) += its part of g.</summary>
    public void ConcatBackward(DeviceBuffer g, IReadOnlyList<DeviceBuffer> xs, IReadOnlyList<DeviceBuffer?> gradients, int axis)
    {
        var (ax, shape) = ConcatShape("ConcatBackward", xs, axis);
        RequireHere("ConcatBackward", g);
        if (!g.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"ConcatBackward: gradient {Tensor.Format(g.Shape)} is not that of the concatenation {Tensor.Format(shape)}.");
        if (gradients.Count != xs.Count) throw new ArgumentException($"ConcatBackward: {gradients.Count} gradients for {xs.Count} inputs.");
        int start = 0;
        for (int t = 0; t < xs.Count; t++)
        {
            if (gradients[t] is { } gx)
            {
                RequireSameShape("ConcatBackward", "input", xs[t], "its gradient", gx);
                Run(new AxisBlockOp(g.View, gx.View, Block(shape, ax, start, xs[t].Shape[ax]), toLarge: false, accumulate: true), gx.Size);
            }
            start += xs[t].Shape[ax];
        }
    }

    private static int Axis(string op, int[] shape, int axis)
    {
        int ax = axis < 0 ? axis + shape.Length : axis;
        if ((uint)ax >= (uint)shape.Length) throw new ArgumentException($"{op}: axis {axis} is out of range for shape {Tensor.Format(shape)}.");
        return ax;
    }

    private static (int Axis, AxisBlock Block) SliceBlock(string op, int[] shape, int axis, int start, int length)
    {
        int ax = Axis(op, shape, axis);
        if (start < 0 || length < 0 || start + length > shape[ax])
            throw new ArgumentException($"{op}: [{start}, {start + length}) is outside axis {axis} of {Tensor.Format(shape)}.");
        return (ax, Block(shape, ax, start, length));
    }

    private static AxisBlock Block(int[] large, int ax, int start, int length)
    {
        int inner = 1;
        for (int i = ax + 1; i < large.Length; i++) inner *= large[i];
        return new AxisBlock(large[ax], length, inner, start);
    }

    private (int Axis, int[] Shape) ConcatShape(string op, IReadOnlyList<DeviceBuffer> xs, int axis)
    {
        if (xs.Count == 0) throw new ArgumentException($"{op}: no buffers.");
        var first = xs[0].Shape;
        int ax = Axis(op, first, axis), total = 0;
        foreach (var x in xs)
        {
            RequireHere(op, x);
            bool ok = x.Shape.Length == first.Length;
            for (int i = 0; ok && i < first.Length; i++) ok = i == ax || x.Shape[i] == first[i];
            if (!ok) throw new ArgumentException($"{op}: shape {Tensor.Format(x.Shape)} does not match {Tensor.Format(first)} outside axis {axis}.");
            total += x.Shape[ax];
        }
        var shape = (int[])first.Clone();
        shape[ax] = total;
        return (ax, shape);
    }

    /// <summary>
    /// Index i of the small side (outer, length, inner) pairs with (o, start + j, k) of the large side (outer, n, inner). Copies
    /// small → large (toLarge) or large → small, assigning or accumulating.
    /// </summary>
    internal readonly struct AxisBlockOp(ArrayView<float> src, ArrayView<float> dst, AxisBlock b, bool toLarge, bool accumulate) : IElementOp
    {
        private readonly ArrayView<float> src = src, dst = dst;
        private readonly AxisBlock b = b;
        private readonly int toLarge = toLarge ? 1 : 0, accumulate = accumulate ? 1 : 0;

        public void Apply(int i)
        {
            int k = i % b.Inner, t = i / b.Inner, j = t % b.Length, o = t / b.Length;
            int large = (o * b.N + b.Start + j) * b.Inner + k;
            int from = toLarge != 0 ? i : large, to = toLarge != 0 ? large : i;
            dst[to] = accumulate != 0 ? dst[to] + src[from] : src[from];
        }
    }
}
