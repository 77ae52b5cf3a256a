// Embedding lookup: rows of a (V, C) table gathered by token id, one index per output element; the backward scatter-adds each
// output row's gradient into its id's row with atomic adds (ids repeat within a batch). IndexSelect is the same gather of a 2-D
// tensor's rows: the U-Net's 3×3 convolution windows (rows of the padded feature map) and its nearest-neighbour upsampling.
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

    /// <summary>Rows of x (N, C) at <paramref name="rows"/>: result (M, C), as <see cref="Ops.IndexSelect"/>.</summary>
    public DeviceBuffer IndexSelect(DeviceBuffer x, ReadOnlySpan<int> rows)
    {
        int c = CheckEmbedding("IndexSelect", x, rows, [rows.Length]);
        var y = device.Allocate(rows.Length, c);
        RunEmbedding(x, rows, y, c, backward: false);
        return y;
    }

    /// <summary>Backward of <see cref="IndexSelect"/>: gx[rows[i]] += g[i] (atomic, so repeated rows add up; the order of the adds is not fixed).</summary>
    public void IndexSelectBackward(DeviceBuffer g, ReadOnlySpan<int> rows, DeviceBuffer gx)
    {
        int c = CheckEmbedding("IndexSelectBackward", gx, rows, [rows.Length]);
        RequireHere("IndexSelectBackward", g);
        if (g.Shape.Length != 2 || g.Shape[0] != rows.Length || g.Shape[1] != c)
            throw new ArgumentException($"IndexSelectBackward: gradient {Tensor.Format(g.Shape)} is not ({rows.Length}, {c}) for input {Tensor.Format(gx.Shape)}.");
        RunEmbedding(gx, rows, g, c, backward: true);
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
        if (weight.Shape.Length != 2) throw new ArgumentException($"{op}: input must be 2-D, got {Tensor.Format(weight.Shape)}.");
        if (Tensor.ShapeSize(idsShape) != ids.Length) throw new ArgumentException($"{op}: {ids.Length} ids do not fill shape {Tensor.Format(idsShape)}.");
        int v = weight.Shape[0];
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)v) throw new ArgumentException($"{op}: {(op.StartsWith("IndexSelect", StringComparison.Ordinal) ? "row" : "id")} {ids[i]} at position {i} is outside the {v} rows of {Tensor.Format(weight.Shape)}.");
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
