// Shape kernels: swapping two axes (attention's (B, T, H, D) ↔ (B, H, T, D)), one index per output element. The backward is the
// same index map read the other way, accumulated; every input element has exactly one output element, so no two indices collide.
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
        var (shape, view) = TransposeShapes("Transpose", x.Shape, axis0, axis1);
        RequireHere("Transpose", x);
        var y = device.Allocate(shape);
        Run(new TransposeOp(x.View, y.View, view, backward: false), y.Size);
        return y;
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
}
