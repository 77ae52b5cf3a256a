// Reductions and the softmax family: finite-difference gradients and forward values against direct loops.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class ReduceGradTests
{
    [Fact]
    public void SumAndMeanOfAll()
    {
        var x = GradCheck.Param(1, 1f, 2, 3, 4);
        Assert.Empty(Ops.Sum(x).Shape);
        Assert.Equal(x.ToArray().Sum(v => (double)v), Ops.Sum(x).Item(), 5);
        Assert.Equal(x.ToArray().Average(v => (double)v), Ops.Mean(x).Item(), 5);
        GradCheck.Check("sum", t => Ops.Sum(t[0]), [x]);
        GradCheck.Check("mean", t => Ops.Mean(t[0]), [x]);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(-1, true)]
    public void SumMeanMaxAlongAxis(int axis, bool keepDim)
    {
        int[] shape = [3, 4, 5];
        var x = DistinctValues(2, shape);
        int ax = axis < 0 ? axis + 3 : axis;
        var sum = Ops.Sum(x, axis, keepDim);
        var mean = Ops.Mean(x, axis, keepDim);
        var max = Ops.Max(x, axis, keepDim);
        int[] expectedShape = keepDim ? [.. shape[..ax], 1, .. shape[(ax + 1)..]] : [.. shape[..ax], .. shape[(ax + 1)..]];
        Assert.Equal(expectedShape, sum.Shape);
        Assert.Equal(expectedShape, max.Shape);
        // Direct loops over the (outer, n, inner) view of the axis.
        int outer = shape[..ax].Aggregate(1, (p, d) => p * d), n = shape[ax], inner = shape[(ax + 1)..].Aggregate(1, (p, d) => p * d);
        var es = new double[outer * inner]; var em = new double[outer * inner]; var ex = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0, m = double.NegativeInfinity;
                for (int j = 0; j < n; j++) { double v = x.Span[(o * n + j) * inner + i]; s += v; m = Math.Max(m, v); }
                es[o * inner + i] = s; em[o * inner + i] = s / n; ex[o * inner + i] = m;
            }
        GradCheck.AssertClose("sum", es, sum.Span, 1e-6);
        GradCheck.AssertClose("mean", em, mean.Span, 1e-6);
        GradCheck.AssertClose("max", ex, max.Span, 0);
        GradCheck.Check("sum_axis", t => Ops.Sum(t[0], axis, keepDim), [x]);
        GradCheck.Check("mean_axis", t => Ops.Mean(t[0], axis, keepDim), [x]);
        GradCheck.Check("max_axis", t => Ops.Max(t[0], axis, keepDim), [x], h: 1e-3);
    }

    [Fact]
    public void MaxOfAll()
    {
        var x = DistinctValues(3, 4, 6);
        Assert.Equal(x.ToArray().Max(), Ops.Max(x).Item());
        GradCheck.Check("max", t => Ops.Max(t[0]), [x], h: 1e-3);
    }

    // Values a multiple of 0.05 apart (shuffled), so a step of 1e-3 never changes which element is the maximum.
    private static Tensor DistinctValues(ulong seed, params int[] shape)
    {
        int size = Tensor.ShapeSize(shape);
        var data = new float[size];
        for (int i = 0; i < size; i++) data[i] = (i - size / 2) * 0.05f;
        var rng = new Rng(seed);
        for (int i = size - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (data[i], data[j]) = (data[j], data[i]); }
        return Tensor.Parameter(data, shape);
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxValues()
    {
        var x = GradCheck.Param(4, 3f, 3, 2, 7);
        var y = Ops.Softmax(x);
        var ly = Ops.LogSoftmax(x);
        var expected = new double[x.Size];
        for (int r = 0; r < 6; r++)
        {
            var row = x.ToArray().AsSpan(r * 7, 7).ToArray();
            double z = row.Sum(v => Math.Exp(v));
            for (int i = 0; i < 7; i++) expected[r * 7 + i] = Math.Exp(row[i]) / z;
            double total = 0;
            for (int i = 0; i < 7; i++) total += y.Span[r * 7 + i];
            Assert.Equal(1.0, total, 5);
        }
        GradCheck.AssertClose("softmax", expected, y.Span, 1e-6);
        GradCheck.AssertClose("log_softmax", expected.Select(p => Math.Log(p)).ToArray(), ly.Span, 2e-6);
        var big = Ops.Softmax(Tensor.FromArray([1000f, 1000f, -1000f], 1, 3));
        Assert.Equal([0.5f, 0.5f, 0f], big.ToArray());
    }

    [Fact]
    public void LogSumExpKernelsMatchScalarReferenceAtEveryLength()
    {
        var rng = new Rng(6);
        for (int n = 0; n <= 600; n = n < 260 ? n + 1 : n + 37)
        {
            var x = new float[n];
            rng.FillNormal(x, 0, 3);
            Assert.Equal(Ops.LogSumExpScaledReference(x, 0.7f), Ops.LogSumExpScaled(x, 0.7f), 5);
            if (n == 0) continue;
            var shifted = x.Select(v => v - x.Max()).ToArray();
            Assert.Equal(Ops.LogSumExpShiftedReference(shifted), Ops.LogSumExpShifted(shifted), 5);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(600)]
    public void LogSoftmaxBackwardAtLongRows(int n)
    {
        // Per-element gradients are O(1/n) at long rows, too small for finite differences to see a dropped chunk:
        // compare with the closed form gᵢ − softmaxᵢ·Σg in double instead.
        var x = GradCheck.Param(7, 2f, 2, n);
        var w = GradCheck.Param(8, 1f, 2, n).Detach();
        Ops.Sum(Ops.Mul(Ops.LogSoftmax(x), w)).Backward();
        var expected = new double[2 * n];
        for (int r = 0; r < 2; r++)
        {
            var row = x.Span.Slice(r * n, n).ToArray();
            double max = row.Max(), z = row.Sum(v => Math.Exp(v - max)), sumW = 0;
            for (int i = 0; i < n; i++) sumW += w.Span[r * n + i];
            for (int i = 0; i < n; i++) expected[r * n + i] = w.Span[r * n + i] - Math.Exp(row[i] - max) / z * sumW;
        }
        GradCheck.AssertClose("log_softmax backward", expected, x.Grad, 1e-5);
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxGradients()
    {
        var x = GradCheck.Param(5, 1.5f, 2, 3, 5);
        GradCheck.Check("softmax", t => Ops.Softmax(t[0]), [x]);
        GradCheck.Check("log_softmax", t => Ops.LogSoftmax(t[0]), [x]);
    }
}
