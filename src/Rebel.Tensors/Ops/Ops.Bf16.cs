// Ops on bf16-held (frozen) weights that never widen the whole weight: a product widens it panel by panel inside the GEMM's
// packing, an embedding lookup widens only the rows it picks.
using Rebel.Tensors.Kernels;

namespace Rebel.Tensors;

public static partial class Ops
{
    // c (m, n) (+)= a (m, k) · op(w) with w (k, n), or (n, k) when transB: float32, or bf16 widened as the GEMM packs its panels.
    private static void MultiplyWeight(ReadOnlySpan<float> a, Tensor w, Span<float> c, int m, int n, int k, bool transB, bool accumulate)
    {
        if (w.IsBf16) Gemm.MultiplyBf16(a, w.Bf16Bits, c, m, n, k, transB, accumulate);
        else if (WeightPanels.For(w, m, k, n, transB) is { } panels) Gemm.MultiplyColumnPanels(a, panels, c, m, n, k, accumulate);
        else Gemm.Multiply(a, w.Span, c, m, n, k, false, transB, accumulate);
    }

    // Embedding on a frozen bf16 table (V, C): each picked row widened into the result (…ids shape, C); no gradient.
    private static Tensor EmbeddingBf16(Tensor weight, ReadOnlySpan<int> ids, int[] idsShape)
    {
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: table must be 2-D, got {Tensor.Format(weight.Shape)}.");
        if (Tensor.ShapeSize(idsShape) != ids.Length) throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape {Tensor.Format(idsShape)}.");
        int v = weight.Shape[0], c = weight.Shape[1];
        var y = Tensor.Uninitialized([.. idsShape, c]); // (…, C)
        var table = weight.Bf16Bits; var yv = y.Span;
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)v) throw new ArgumentException($"Embedding: id {id} at position {i} is outside the table of {v} rows{(weight.Name is null ? "" : " (" + weight.Name + ")")}.");
            Bf16.Widen(table.Slice(id * c, c), yv.Slice(i * c, c));
        }
        return y;
    }
}
