// Lookups by integer index: Embedding (rows of a table), IndexSelect (rows of a matrix), Dropout.
using System.Numerics.Tensors;

namespace Rebel.Tensors;

public static partial class Ops
{
    /// <summary>Rows of <paramref name="weight"/> (V, C) picked by <paramref name="ids"/>: result (…ids shape, C).</summary>
    public static Tensor Embedding(Tensor weight, ReadOnlySpan<int> ids, params int[] idsShape)
    {
        if (weight.IsBf16) return EmbeddingBf16(weight, ids, idsShape);
        if (weight.Rank != 2) throw new ArgumentException($"Embedding: table must be 2-D, got {Tensor.Format(weight.Shape)}.");
        if (Tensor.ShapeSize(idsShape) != ids.Length) throw new ArgumentException($"Embedding: {ids.Length} ids do not fill shape {Tensor.Format(idsShape)}.");
        int v = weight.Shape[0], c = weight.Shape[1];
        var kept = ids.ToArray();
        if (weight.IsOnDevice)
        {
            for (int i = 0; i < kept.Length; i++)
                if ((uint)kept[i] >= (uint)v) throw new ArgumentException($"Embedding: id {kept[i]} at position {i} is outside the table of {v} rows{(weight.Name is null ? "" : " (" + weight.Name + ")")}.");
            var device = weight.Device;
            var yd = new Tensor([.. idsShape, c], device.Embedding(weight, kept), isParameter: false);
            return Autograd.Record(yd, "embedding", [weight], () => device.EmbeddingBackward(weight, kept, yd.DeviceGrad, weight.DeviceGrad));
        }
        var y = Tensor.Uninitialized([.. idsShape, c]);
        var table = weight.Span; var yv = y.Span;
        for (int i = 0; i < kept.Length; i++)
        {
            int id = kept[i];
            if ((uint)id >= (uint)v) throw new ArgumentException($"Embedding: id {id} at position {i} is outside the table of {v} rows{(weight.Name is null ? "" : " (" + weight.Name + ")")}.");
            table.Slice(id * c, c).CopyTo(yv.Slice(i * c, c));
        }
        return Autograd.Record(y, "embedding", [weight], () =>
        {
            var g = y.GradSpan; var gw = weight.GradSpan;
            for (int i = 0; i < kept.Length; i++)
            {
                var row = gw.Slice(kept[i] * c, c);
                TensorPrimitives.Add(row, g.Slice(i * c, c), row);
            }
        });
    }

    /// <summary>Rows of x (N, C) at <paramref name="rows"/>: result (M, C).</summary>
    public static Tensor IndexSelect(Tensor x, ReadOnlySpan<int> rows)
    {
        if (x.Rank != 2) throw new ArgumentException($"IndexSelect: input must be 2-D, got {Tensor.Format(x.Shape)}.");
        int n = x.Shape[0], c = x.Shape[1];
        var kept = rows.ToArray();
        if (AcceleratorOf(x) is { } device)
        {
            for (int i = 0; i < kept.Length; i++)
                if ((uint)kept[i] >= (uint)n) throw new ArgumentException($"IndexSelect: row {kept[i]} is outside {Tensor.Format(x.Shape)}.");
            var yd = new Tensor([kept.Length, c], device.IndexSelect(x, kept), isParameter: false);
            return Autograd.Record(yd, "index_select", [x], () => device.IndexSelectBackward(x, kept, yd.DeviceGrad, x.DeviceGrad));
        }
        var y = Tensor.Uninitialized([kept.Length, c]);
        var xv = x.Span; var yv = y.Span;
        for (int i = 0; i < kept.Length; i++)
        {
            if ((uint)kept[i] >= (uint)n) throw new ArgumentException($"IndexSelect: row {kept[i]} is outside {Tensor.Format(x.Shape)}.");
            xv.Slice(kept[i] * c, c).CopyTo(yv.Slice(i * c, c));
        }
        return Autograd.Record(y, "index_select", [x], () =>
        {
            var g = y.GradSpan; var gx = x.GradSpan;
            for (int i = 0; i < kept.Length; i++)
            {
                var row = gx.Slice(kept[i] * c, c);
                TensorPrimitives.Add(row, g.Slice(i * c, c), row);
            }
        });
    }

    /// <summary>Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1−p). Identity when p = 0.</summary>
    public static Tensor Dropout(Tensor x, float p, Rng rng)
    {
        if (p < 0 || p >= 1) throw new ArgumentException($"Dropout: probability {p} must be in [0, 1).");
        if (p == 0) return x;
        var mask = TensorScope.Rent(x.Size, clear: false);
        float scale = 1f / (1f - p);
        for (int i = 0; i < x.Size; i++) mask[i] = rng.NextFloat() < p ? 0f : scale;
        if (x.IsOnDevice) // the same draws on the host, the mask uploaded: y = x ⊙ mask there, gradient g ⊙ mask
        {
            var m = Tensor.FromArray(mask.AsSpan(0, x.Size).ToArray(), x.Shape);
            using (Autograd.NoGrad()) m = ToDevice(m, x.Device);
            return Mul(x, m);
        }
        var y = Tensor.Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x.Span, mask.AsSpan(0, x.Size), y.Span);
        return Autograd.Record(y, "dropout", [x], () => TensorPrimitives.MultiplyAdd(y.GradSpan, mask.AsSpan(0, x.Size), x.GradSpan, x.GradSpan));
    }
}
