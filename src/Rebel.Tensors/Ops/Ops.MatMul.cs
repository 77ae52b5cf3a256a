// Matrix products: MatMul (2-D and batched, either operand transposed), Linear (x·Wᵀ + b, the nn.Linear layout) and
// Conv1D (x·W + b, GPT-2's layout); the affine ops fill the output with the bias and let the GEMM accumulate onto it.
using System.Numerics.Tensors;
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>
    /// op(a)·op(b) over the last two dimensions. a is (…, M, K) — (…, K, M) when <paramref name="transA"/> — and b is
    /// (…, K, N) — (…, N, K) when <paramref name="transB"/>; leading dimensions must match, or b may be 2-D and shared.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        (a, b) = (a.Widened(), b.Widened()); // bf16-held (frozen) operands become float32 for this product
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"MatMul: operands must be at least 2-D, got {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)}.");
        int m = transA ? a.Shape[^1] : a.Shape[^2], ka = transA ? a.Shape[^2] : a.Shape[^1];
        int kb = transB ? b.Shape[^1] : b.Shape[^2], n = transB ? b.Shape[^2] : b.Shape[^1];
        if (ka != kb) throw new ArgumentException($"MatMul: inner sizes differ: {Tensor.Format(a.Shape)}{(transA ? "ᵀ" : "")} · {Tensor.Format(b.Shape)}{(transB ? "ᵀ" : "")}.");
        int k = ka;
        bool sharedB = b.Rank == 2 && a.Rank > 2;
        if (!sharedB && !a.Shape.AsSpan(0, a.Rank - 2).SequenceEqual(b.Shape.AsSpan(0, b.Rank - 2)))
            throw new ArgumentException($"MatMul: batch dimensions differ: {Tensor.Format(a.Shape)} and {Tensor.Format(b.Shape)}.");
        if (sharedB && transA) throw new ArgumentException($"MatMul: a shared 2-D right operand needs an untransposed left one, got {Tensor.Format(a.Shape)}ᵀ.");
        int batch = a.Size / Math.Max(m * k, 1);
        if (m * k == 0) batch = Tensor.ShapeSize(a.Shape.AsSpan(0, a.Rank - 2));
        int[] shape = [.. a.Shape[..^2], m, n];
        if (AcceleratorOf("MatMul", a, b) is { } device) return DeviceMatMul(device, a, b, transA, transB, shape, batch, m, n, k, sharedB);
        var y = Tensor.Uninitialized(shape);
        if (sharedB) Gemm.Multiply(a.Span, b.Span, y.Span, batch * m, n, k, false, transB);
        else Gemm.MultiplyBatched(a.Span, b.Span, y.Span, batch, m, n, k, transA, transB);
        return Autograd.Record(y, "matmul", [a, b], () =>
        {
            var g = y.GradSpan;
            if (sharedB)
            {
                int rows = batch * m;
                if (a.RequiresGrad) Gemm.Multiply(g, b.Span, a.GradSpan, rows, k, n, false, !transB, accumulate: true);
                if (b.RequiresGrad)
                {
                    if (transB) Gemm.Multiply(g, a.Span, b.GradSpan, n, k, rows, true, false, accumulate: true);
                    else Gemm.Multiply(a.Span, g, b.GradSpan, k, n, rows, true, false, accumulate: true);
                }
                return;
            }
            if (a.RequiresGrad)
            {
                if (transA) Gemm.MultiplyBatched(b.Span, g, a.GradSpan, batch, k, m, n, transB, true, accumulate: true);
                else Gemm.MultiplyBatched(g, b.Span, a.GradSpan, batch, m, k, n, false, !transB, accumulate: true);
            }
            if (b.RequiresGrad)
            {
                if (transB) Gemm.MultiplyBatched(g, a.Span, b.GradSpan, batch, n, k, m, true, transA, accumulate: true);
                else Gemm.MultiplyBatched(a.Span, g, b.GradSpan, batch, k, n, m, !transA, false, accumulate: true);
            }
        });
    }

    /// <summary>y = x·Wᵀ + b with x (…, In), W (Out, In) as nn.Linear stores it, b (Out) or null → y (…, Out).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        bias = bias?.Widened(); // a bf16-held weight is widened inside the GEMM's packing (MultiplyWeight)
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException($"Linear: input {Tensor.Format(x.Shape)} does not match weight {Tensor.Format(weight.Shape)} (expected (…, {(weight.Rank == 2 ? weight.Shape[1] : -1)})).");
        int outF = weight.Shape[0], inF = weight.Shape[1];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"Linear: bias {Tensor.Format(bias.Shape)} does not match weight {Tensor.Format(weight.Shape)}.");
        int rows = x.Size / Math.Max(inF, 1);
        if (inF == 0) rows = Tensor.ShapeSize(x.Shape.AsSpan(0, x.Rank - 1));
        if (AcceleratorOf("Linear", [x, weight, bias]) is { } device) return DeviceAffineProduct("linear", device, x, weight, bias, rows, inF, outF, nnLinear: true);
        var y = Tensor.Uninitialized([.. x.Shape[..^1], outF]);
        var yv = y.Span;
        if (bias is not null)
        {
            var bv = bias.Span;
            for (int r = 0; r < rows; r++) bv.CopyTo(yv.Slice(r * outF, outF));
        }
        MultiplyWeight(x.Span, weight, yv, rows, outF, inF, transB: true, accumulate: bias is not null);
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "linear", parents, () =>
        {
            var g = y.GradSpan; // (rows, Out)
            if (x.RequiresGrad) MultiplyWeight(g, weight, x.GradForWrite(out bool acc), rows, inF, outF, transB: false, accumulate: acc);
            if (weight.RequiresGrad) Gemm.Multiply(g, x.Span, weight.GradSpan, outF, inF, rows, true, false, accumulate: true);
            if (bias is not null && bias.RequiresGrad) AddRows(GradArray(y), rows, outF, GradArray(bias));
        });
    }

    /// <summary>
    /// y = x·W + b with x (…, In), W (In, Out) as GPT-2's Conv1D stores it, b (Out) or null → y (…, Out).
    /// Equals MatMul(x, W) + b (tests compare the two); fused, it writes y once and needs no intermediate gradient.
    /// </summary>
    public static Tensor Conv1D(Tensor x, Tensor weight, Tensor? bias = null)
    {
        bias = bias?.Widened(); // a bf16-held weight is widened inside the GEMM's packing (MultiplyWeight)
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[0])
            throw new ArgumentException($"Conv1D: input {Tensor.Format(x.Shape)} does not match weight {Tensor.Format(weight.Shape)} (expected (…, {(weight.Rank == 2 ? weight.Shape[0] : -1)})).");
        int inF = weight.Shape[0], outF = weight.Shape[1];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != outF))
            throw new ArgumentException($"Conv1D: bias {Tensor.Format(bias.Shape)} does not match weight {Tensor.Format(weight.Shape)}.");
        int rows = x.Size / Math.Max(inF, 1);
        if (inF == 0) rows = Tensor.ShapeSize(x.Shape.AsSpan(0, x.Rank - 1));
        if (AcceleratorOf("Conv1D", [x, weight, bias]) is { } device) return DeviceAffineProduct("conv1d", device, x, weight, bias, rows, inF, outF, nnLinear: false);
        var y = Tensor.Uninitialized([.. x.Shape[..^1], outF]); // (rows, Out)
        var yv = y.Span;
        if (bias is not null)
        {
            var bv = bias.Span;
            for (int r = 0; r < rows; r++) bv.CopyTo(yv.Slice(r * outF, outF));
        }
        MultiplyWeight(x.Span, weight, yv, rows, outF, inF, transB: false, accumulate: bias is not null);
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, "conv1d", parents, () =>
        {
            var g = y.GradSpan; // (rows, Out)
            if (x.RequiresGrad) MultiplyWeight(g, weight, x.GradForWrite(out bool acc), rows, inF, outF, transB: true, accumulate: acc); // dx += g·Wᵀ
            if (weight.RequiresGrad) Gemm.Multiply(x.Span, g, weight.GradSpan, inF, outF, rows, true, false, accumulate: true); // dW += xᵀ·g
            if (bias is not null && bias.RequiresGrad) AddRows(GradArray(y), rows, outF, GradArray(bias)); // db += Σ_rows g
        });
    }

    // MatMul on an accelerator: the host path's products on device storage.
    private static Tensor DeviceMatMul(TensorDevice device, Tensor a, Tensor b, bool transA, bool transB, int[] shape, int batch, int m, int n, int k, bool sharedB)
    {
        var y = Tensor.OnDevice(device, shape);
        if (sharedB) device.Multiply(a.Storage, b.Storage, y.Storage, 1, batch * m, n, k, false, transB, false);
        else device.Multiply(a.Storage, b.Storage, y.Storage, batch, m, n, k, transA, transB, false);
        return Autograd.Record(y, "matmul", [a, b], () =>
        {
            var g = y.DeviceGrad;
            if (sharedB)
            {
                int rows = batch * m;
                if (a.RequiresGrad) device.Multiply(g, b.Storage, a.DeviceGrad, 1, rows, k, n, false, !transB, true);
                if (b.RequiresGrad)
                {
                    if (transB) device.Multiply(g, a.Storage, b.DeviceGrad, 1, n, k, rows, true, false, true);
                    else device.Multiply(a.Storage, g, b.DeviceGrad, 1, k, n, rows, true, false, true);
                }
                return;
            }
            if (a.RequiresGrad)
            {
                if (transA) device.Multiply(b.Storage, g, a.DeviceGrad, batch, k, m, n, transB, true, true);
                else device.Multiply(g, b.Storage, a.DeviceGrad, batch, m, k, n, false, !transB, true);
            }
            if (b.RequiresGrad)
            {
                if (transB) device.Multiply(g, a.Storage, b.DeviceGrad, batch, n, k, m, true, transA, true);
                else device.Multiply(a.Storage, g, b.DeviceGrad, batch, k, n, m, !transA, false, true);
            }
        });
    }

    // Linear (W is (Out, In)) or Conv1D (W is (In, Out)) on an accelerator: the bias repeated per row, the product accumulated onto it.
    private static Tensor DeviceAffineProduct(string name, TensorDevice device, Tensor x, Tensor weight, Tensor? bias, int rows, int inF, int outF, bool nnLinear)
    {
        int[] shape = [.. x.Shape[..^1], outF];
        var y = bias is null ? Tensor.OnDevice(device, shape) : new Tensor(shape, device.RepeatRows(bias, rows), isParameter: false);
        device.Multiply(x.Storage, weight.Storage, y.Storage, 1, rows, outF, inF, false, nnLinear, accumulate: bias is not null);
        Tensor[] parents = bias is null ? [x, weight] : [x, weight, bias];
        return Autograd.Record(y, name, parents, () =>
        {
            var g = y.DeviceGrad; // (rows, Out)
            if (x.RequiresGrad) device.Multiply(g, weight.Storage, x.DeviceGrad, 1, rows, inF, outF, false, !nnLinear, true);
            if (weight.RequiresGrad)
            {
                if (nnLinear) device.Multiply(g, x.Storage, weight.DeviceGrad, 1, outF, inF, rows, true, false, true); // dW += gᵀ·x
                else device.Multiply(x.Storage, g, weight.DeviceGrad, 1, inF, outF, rows, true, false, true);          // dW += xᵀ·g
            }
            if (bias is not null && bias.RequiresGrad) device.AccumulateColumnSums(g, rows, outF, bias.DeviceGrad);
        });
    }

    // sums (width) += Σ over the rows of m (rows, width); large matrices split their columns across threads.
    private static void AddRows(float[] m, int rows, int width, float[] sums)
    {
        ForEachRowRange(width, Math.Min(RowParts(rows, width), width / 16), (c0, c1, _) =>
        {
            var s = sums.AsSpan(c0, c1 - c0);
            for (int r = 0; r < rows; r++) TensorPrimitives.Add(s, m.AsSpan(r * width + c0, c1 - c0), s);
        });
    }
}
