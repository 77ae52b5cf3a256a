// Shape and lookup ops: Reshape, Transpose, Concat, Slice, Embedding, IndexSelect, Dropout — values and gradients.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class ShapeGradTests
{
    [Fact]
    public void Reshape()
    {
        var x = GradCheck.Param(1, 1f, 2, 3, 4);
        var y = Ops.Reshape(x, 6, -1);
        Assert.Equal([6, 4], y.Shape);
        Assert.Equal(x.ToArray(), y.ToArray());
        GradCheck.Check("reshape", t => Ops.Reshape(t[0], 4, 6), [x]);
        var ex = Assert.Throws<ArgumentException>(() => Ops.Reshape(x, 5, 5));
        Assert.Contains("(2, 3, 4)", ex.Message);
        Assert.Contains("(5, 5)", ex.Message);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, 0, 1)]
    [InlineData(new[] { 2, 3, 4 }, 1, 2)]
    [InlineData(new[] { 2, 3, 4 }, 0, 2)]
    [InlineData(new[] { 2, 3, 4 }, -1, 0)]
    [InlineData(new[] { 1, 3, 4 }, 0, 2)]
    [InlineData(new[] { 3, 4, 1 }, 0, 2)]
    [InlineData(new[] { 2, 1, 4 }, 1, 2)]
    [InlineData(new[] { 2, 3, 1, 4 }, 1, 2)]
    public void Transpose(int[] shape, int axis0, int axis1)
    {
        var x = GradCheck.Param(2, 1f, shape);
        var y = Ops.Transpose(x, axis0, axis1);
        int a0 = axis0 < 0 ? axis0 + shape.Length : axis0, a1 = axis1 < 0 ? axis1 + shape.Length : axis1;
        var outShape = (int[])shape.Clone();
        (outShape[a0], outShape[a1]) = (outShape[a1], outShape[a0]);
        Assert.Equal(outShape, y.Shape);
        // y[…i…j…] == x[…j…i…], checked through explicit coordinates.
        var coord = new int[shape.Length];
        for (int i = 0; i < x.Size; i++)
        {
            int rest = i;
            for (int d = shape.Length - 1; d >= 0; d--) { coord[d] = rest % outShape[d]; rest /= outShape[d]; }
            (coord[a0], coord[a1]) = (coord[a1], coord[a0]);
            int src = 0;
            for (int d = 0; d < shape.Length; d++) src = src * shape[d] + coord[d];
            Assert.Equal(x.Span[src], y.Span[i]);
        }
        GradCheck.Check("transpose", t => Ops.Transpose(t[0], axis0, axis1), [x]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Concat(int axis)
    {
        int[] sa = [2, 3, 4], sb = [2, 3, 4];
        sb[axis] = 2;
        var a = GradCheck.Param(3, 1f, sa);
        var b = GradCheck.Param(4, 1f, sb);
        var y = Ops.Concat([a, b], axis);
        Assert.Equal(sa[axis] + sb[axis], y.Shape[axis]);
        Assert.Equal(a.ToArray(), Ops.Slice(y, axis, 0, sa[axis]).ToArray());
        Assert.Equal(b.ToArray(), Ops.Slice(y, axis, sa[axis], sb[axis]).ToArray());
        GradCheck.Check($"concat axis {axis}", t => Ops.Concat([t[0], t[1]], axis), [a, b]);
    }

    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 1, 2)]
    [InlineData(2, 0, 3)]
    public void Slice(int axis, int start, int length)
    {
        var x = GradCheck.Param(5, 1f, 3, 4, 5);
        var y = Ops.Slice(x, axis, start, length);
        int outer = x.Shape[..axis].Aggregate(1, (p, d) => p * d), n = x.Shape[axis], inner = x.Shape[(axis + 1)..].Aggregate(1, (p, d) => p * d);
        var expected = new double[outer * length * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < length; j++)
                for (int i = 0; i < inner; i++)
                    expected[(o * length + j) * inner + i] = x.Span[(o * n + start + j) * inner + i];
        GradCheck.AssertClose("slice", expected, y.Span, 0);
        GradCheck.Check($"slice axis {axis}", t => Ops.Slice(t[0], axis, start, length), [x]);
    }

    [Fact]
    public void EmbeddingAndIndexSelect()
    {
        var table = GradCheck.Param(6, 1f, 5, 3);
        int[] ids = [4, 0, 4, 2, 1, 4];
        var y = Ops.Embedding(table, ids, 2, 3);
        Assert.Equal([2, 3, 3], y.Shape);
        for (int i = 0; i < ids.Length; i++) Assert.Equal(table.Span.Slice(ids[i] * 3, 3).ToArray(), y.Span.Slice(i * 3, 3).ToArray());
        GradCheck.Check("embedding", t => Ops.Embedding(t[0], ids, 2, 3), [table]);
        GradCheck.Check("index_select", t => Ops.IndexSelect(t[0], ids), [table]);
        Assert.Throws<ArgumentException>(() => Ops.Embedding(table, [5], 1));
    }

    [Fact]
    public void DropoutGradientIsItsMask()
    {
        const float p = 0.3f;
        var x = GradCheck.Param(7, 1f, 4, 50);
        var y = Ops.Dropout(x, p, new Rng(99));
        y.Backward();
        int dropped = 0;
        for (int i = 0; i < x.Size; i++)
        {
            // Each kept element is x/(1 − p), and its gradient is that same factor; dropped ones get 0 and 0.
            float mask = y.Span[i] == 0 ? 0f : 1f / (1f - p);
            if (mask == 0) dropped++;
            Assert.Equal(x.Span[i] * mask, y.Span[i], 5);
            Assert.Equal(mask, x.Grad![i]);
        }
        Assert.InRange(dropped, 30, 90); // 200 · 0.3 = 60 expected
        var again = Ops.Dropout(x, p, new Rng(99));
        Assert.Equal(y.ToArray(), again.ToArray());
        Assert.Same(x, Ops.Dropout(x, 0f, new Rng(1)));
    }
}
