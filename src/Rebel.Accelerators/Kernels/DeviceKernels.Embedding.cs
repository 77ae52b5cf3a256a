// Embedding lookup: rows of a (V, C) table gathered by token id, one index per output element; the backward scatter-adds each
// output row's gradient into its id's row with atomic adds (ids repeat within a batch).
using ILGPU;
using Rebel.Tensors;

namespace Rebel.Accelerators.Kernels;

public sealed partial class DeviceKernels
{
    /// <summary>Rows of <paramref name="weight"/> (V, C) picked by <paramref name="ids"/>: result (…ids shape, C).</summary>
    public DeviceBuffer Embedding(DeviceBuffer weight, ReadOnlySpan<int> ids, params int[] idsShape)
    {
        int c = CheckEmbedding("Embedding", weight, ids, idsShape);
        var y = device.Allocate([.. idsShape, c]);
        RunEmbedding(weight, ids, y, c, backward: false);
        return y;
    }

    /// <summary>Backward of <see cref="Embedding"/>: gw[ids[i]] += g[i] for every position i (atomic, so repeated ids add up).</summary>
    public void EmbeddingBackward(DeviceBuffer g, ReadOnlySpan<int> ids, DeviceBuffer gw)
    {
        int c = CheckEmbedding("EmbeddingBackward", gw, ids, [ids.Length]);
        RequireHere("EmbeddingBackward", g);
        if (g.Size != ids.Length * c)
            throw new ArgumentException($"EmbeddingBackward: gradient {Tensor.Format(g.Shape)} does not hold {ids.Length} rows of {c} for table {Tensor.Format(gw.Shape)}.");
        RunEmbedding(gw, ids, g, c, backward: true);
    }

    private void RunEmbedding(DeviceBuffer table, ReadOnlySpan<int> ids, DeviceBuffer rows, int c, bool backward)
    {
        if (rows.Size == 0) return;
        var idBuffer = UploadIndices(ids);
        Run(new EmbeddingOp(table.View, idBuffer.View.AsContiguous(), rows.View, c, backward), rows.Size);
        Finish(idBuffer);
    }

    private int CheckEmbedding(string op, DeviceBuffer weight, ReadOnlySpan<int> ids, int[] idsShape)
    {
        RequireHere(op, weight);
        if (weight.Shape.Length != 2) throw new ArgumentException($"{op}: table must be 2-D, got {Tensor.Format(weight.Shape)}.");
        if (Tensor.ShapeSize(idsShape) != ids.Length) throw new ArgumentException($"{op}: {ids.Length} ids do not fill shape {Tensor.Format(idsShape)}.");
        int v = weight.Shape[0];
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)v) throw new ArgumentException($"{op}: id {ids[i]} at position {i} is outside the table of {v} rows.");
        return weight.Shape[1];
    }

    /// <summary>Forward: rows[i] = table[ids[i / C]·C + i % C]. Backward: table[…] += rows[i] (the table is the gradient then).</summary>
    internal readonly struct EmbeddingOp(ArrayView<float> table, ArrayView<int> ids, ArrayView<float> rows, int c, bool backward) : IElementOp
    {
        private readonly ArrayView<float> table = table, rows = rows;
        private readonly ArrayView<int> ids = ids;
        private readonly int c = c, backward = backward ? 1 : 0;

        public void Apply(int i)
        {
            int k = ids[i / c] * c + i % c;
            if (backward != 0) Atomic.Add(ref table[k], rows[i]);
            else rows[i] = table[k];
        }
    }
}
