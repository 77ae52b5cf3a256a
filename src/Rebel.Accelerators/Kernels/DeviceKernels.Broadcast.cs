// General NumPy broadcasting for the binary ops (the engine's Ops.Broadcast.cs): shapes aligned from the right, a dimension of 1
// (or a missing one) repeats. The geometry — the output's dimensions and each operand's strides over them (0 where it repeats) —
// is uploaded with the launch. Forward: one index per output element, mapped to both operands. Backward: one index per element of
// the operand's gradient, summing the output elements that read it (no atomics, so the order of the sum is fixed).
using ILGPU;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>a ∘ b under NumPy broadcasting through the per-element index map (the general path of <see cref="Binary"/>).</summary>
    internal DeviceBuffer BroadcastBinary(BinaryKind op, DeviceBuffer a, DeviceBuffer b)
    {
        var (shape, geometry) = BroadcastGeometry(op.ToString(), a, b);
        var y = device.Allocate(shape);
        if (y.Size == 0) return y;
        var geo = UploadIndices(geometry);
        Run(new BroadcastOp(a.View, b.View, y.View, geo.View.AsContiguous(), shape.Length, (int)op), y.Size);
        Finish(geo);
        return y;
    }

    /// <summary>Backward of <see cref="BroadcastBinary"/>: each gradient (null to skip) += its share of g, summed over the dimensions its operand repeats over.</summary>
    internal void BroadcastBinaryBackward(BinaryKind op, DeviceBuffer a, DeviceBuffer b, DeviceBuffer g, DeviceBuffer? ga, DeviceBuffer? gb)
    {
        string name = op + "Backward";
        var (shape, geometry) = BroadcastGeometry(name, a, b);
        RequireHere(name, g);
        if (!g.Shape.AsSpan().SequenceEqual(shape))
            throw new ArgumentException($"{name}: gradient {Tensor.Format(g.Shape)} is not of the broadcast shape {Tensor.Format(shape)} of {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)}.");
        if (ga is not null) RequireSameShape(name, "input a", a, "its gradient", ga);
        if (gb is not null) RequireSameShape(name, "input b", b, "its gradient", gb);
        if (g.Size == 0) return;
        var geo = UploadIndices(geometry);
        if (ga is not null) Run(new BroadcastGradOp(g.View, a.View, b.View, ga.View, geo.View.AsContiguous(), shape.Length, (int)op, operand: 0), a.Size);
        if (gb is not null) Run(new BroadcastGradOp(g.View, a.View, b.View, gb.View, geo.View.AsContiguous(), shape.Length, (int)op, operand: 1), b.Size);
        Finish(geo);
    }

    // The broadcast shape of a and b and the geometry [output dims | a's strides | b's strides], or an error naming both shapes.
    private (int[] Shape, int[] Geometry) BroadcastGeometry(string op, DeviceBuffer a, DeviceBuffer b)
    {
        RequireHere(op, a);
        RequireHere(op, b);
        int rank = Math.Max(a.Shape.Length, b.Shape.Length);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int da = Dim(a.Shape, d, rank), db = Dim(b.Shape, d, rank);
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)} do not broadcast (dimension {d} of the aligned shapes: {da} against {db}).");
            shape[d] = da == 1 ? db : da;
        }
        var geometry = new int[3 * rank];
        shape.CopyTo(geometry, 0);
        Strides(a.Shape, rank, geometry.AsSpan(rank, rank));
        Strides(b.Shape, rank, geometry.AsSpan(2 * rank, rank));
        return (shape, geometry);
    }

    // Dimension d of x aligned right to rank dimensions (1 where x has none).
    private static int Dim(int[] x, int d, int rank) => d - (rank - x.Length) >= 0 ? x[d - (rank - x.Length)] : 1;

    // x's row-major strides over the aligned dimensions, 0 where x repeats (a dimension of 1 or a missing one).
    private static void Strides(int[] x, int rank, Span<int> strides)
    {
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            int size = Dim(x, d, rank);
            strides[d] = size == 1 ? 0 : stride;
            stride *= size;
        }
    }

    /// <summary>y[i] = a[ia] ∘ b[ib], the operands' indices read off output index i's coordinates.</summary>
    internal readonly struct BroadcastOp(ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, ArrayView<int> geo, int rank, int kind) : IElementOp
    {
        private readonly ArrayView<float> a = a, b = b, y = y;
        private readonly ArrayView<int> geo = geo;
        private readonly int rank = rank, kind = kind;

        public void Apply(int i)
        {
            int ia = 0, ib = 0, r = i;
            for (int d = rank - 1; d >= 0; d--)
            {
                int c = r % geo[d];
                r /= geo[d];
                ia += c * geo[rank + d];
                ib += c * geo[2 * rank + d];
            }
            float av = a[ia], bv = b[ib];
            y[i] = (BinaryKind)kind switch { BinaryKind.Add => av + bv, BinaryKind.Sub => av - bv, BinaryKind.Mul => av * bv, _ => av / bv };
        }
    }

    /// <summary>
    /// gx[j] += Σ ∂y[i]/∂x[j] · g[i] over the output indices i that read element j of operand x (a for operand 0, b for 1): the
    /// coordinates where x has its own dimension come from j, the others run over the dimensions x repeats over.
    /// </summary>
    internal readonly struct BroadcastGradOp(ArrayView<float> g, ArrayView<float> a, ArrayView<float> b, ArrayView<float> gx, ArrayView<int> geo, int rank, int kind, int operand) : IElementOp
    {
        private readonly ArrayView<float> g = g, a = a, b = b, gx = gx;
        private readonly ArrayView<int> geo = geo;
        private readonly int rank = rank, kind = kind, operand = operand;

        public void Apply(int j)
        {
            int own = (operand + 1) * rank; // x's strides
            int count = 1;
            for (int d = 0; d < rank; d++) if (geo[own + d] == 0) count *= geo[d];
            float sum = 0f;
            for (int r = 0; r < count; r++)
            {
                int jj = j, rr = r, ia = 0, ib = 0, i = 0, step = 1;
                for (int d = rank - 1; d >= 0; d--)
                {
                    int n = geo[d], c;
                    if (geo[own + d] != 0) { c = jj % n; jj /= n; }
                    else { c = rr % n; rr /= n; }
                    ia += c * geo[rank + d];
                    ib += c * geo[2 * rank + d];
                    i += c * step;
                    step *= n;
                }
                float gv = g[i];
                sum += operand == 0
                    ? (BinaryKind)kind switch { BinaryKind.Mul => gv * b[ib], BinaryKind.Div => gv / b[ib], _ => gv }
                    : (BinaryKind)kind switch { BinaryKind.Add => gv, BinaryKind.Sub => -gv, BinaryKind.Mul => gv * a[ia], _ => -gv * a[ia] / (b[ib] * b[ib]) };
            }
            gx[j] += sum;
        }
    }
}
