// MatMul in every transpose combination (2-D, batched, shared 2-D right operand), Linear and Conv1D (against MatMul + Add):
// forward against a double-precision triple loop, gradients against finite differences.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class MatMulGradTests
{
    // Naive op(A)·op(B) for one (m × k)·(k × n) product in double.
    private static double[] Naive(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int m, int n, int k, bool transA, bool transB)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                    c[i * n + j] += (double)(transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
        return c;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void TwoDimensional(bool transA, bool transB)
    {
        int m = 3, n = 4, k = 5;
        var a = GradCheck.Param(1, 1f, transA ? [k, m] : [m, k]);
        var b = GradCheck.Param(2, 1f, transB ? [n, k] : [k, n]);
        var y = Ops.MatMul(a, b, transA, transB);
        Assert.Equal([m, n], y.Shape);
        GradCheck.AssertClose("matmul", Naive(a.Span, b.Span, m, n, k, transA, transB), y.Span, 1e-5);
        GradCheck.Check($"matmul transA={transA} transB={transB}", t => Ops.MatMul(t[0], t[1], transA, transB), [a, b]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Batched(bool transA, bool transB)
    {
        int m = 2, n = 3, k = 4;
        int[] batch = [2, 2];
        var a = GradCheck.Param(3, 1f, transA ? [.. batch, k, m] : [.. batch, m, k]);
        var b = GradCheck.Param(4, 1f, transB ? [.. batch, n, k] : [.. batch, k, n]);
        var y = Ops.MatMul(a, b, transA, transB);
        Assert.Equal([2, 2, m, n], y.Shape);
        var expected = new double[4 * m * n];
        for (int i = 0; i < 4; i++)
            Naive(a.Span.Slice(i * m * k, m * k), b.Span.Slice(i * k * n, k * n), m, n, k, transA, transB).CopyTo(expected, i * m * n);
        GradCheck.AssertClose("batched matmul", expected, y.Span, 1e-5);
        GradCheck.Check($"batched matmul transA={transA} transB={transB}", t => Ops.MatMul(t[0], t[1], transA, transB), [a, b]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SharedRightOperand(bool transB)
    {
        int m = 3, n = 4, k = 5;
        var a = GradCheck.Param(5, 1f, 2, m, k);
        var b = GradCheck.Param(6, 1f, transB ? [n, k] : [k, n]);
        var y = Ops.MatMul(a, b, transB: transB);
        Assert.Equal([2, m, n], y.Shape);
        GradCheck.AssertClose("shared matmul", Naive(a.Span, b.Span, 2 * m, n, k, false, transB), y.Span, 1e-5);
        GradCheck.Check($"shared matmul transB={transB}", t => Ops.MatMul(t[0], t[1], transB: transB), [a, b]);
    }

    [Fact]
    public void InnerSizeMismatchNamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Ops.MatMul(Tensor.Zeros(2, 3), Tensor.Zeros(4, 5)));
        Assert.Contains("MatMul", ex.Message);
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(4, 5)", ex.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear(bool withBias)
    {
        var x = GradCheck.Param(7, 1f, 2, 3, 5);
        var w = GradCheck.Param(8, 0.5f, 4, 5);
        var b = GradCheck.Param(9, 0.5f, 4);
        var y = withBias ? Ops.Linear(x, w, b) : Ops.Linear(x, w);
        Assert.Equal([2, 3, 4], y.Shape);
        var expected = Naive(x.Span, w.Span, 6, 4, 5, false, true);
        if (withBias) for (int i = 0; i < expected.Length; i++) expected[i] += b.Span[i % 4];
        GradCheck.AssertClose("linear", expected, y.Span, 1e-5);
        if (withBias) GradCheck.Check("linear", t => Ops.Linear(t[0], t[1], t[2]), [x, w, b]);
        else GradCheck.Check("linear", t => Ops.Linear(t[0], t[1]), [x, w]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Conv1DEqualsMatMulPlusBias(bool withBias)
    {
        var x = GradCheck.Param(10, 1f, 2, 3, 5);
        var w = GradCheck.Param(11, 0.5f, 5, 4);
        var b = GradCheck.Param(12, 0.5f, 4);
        var y = withBias ? Ops.Conv1D(x, w, b) : Ops.Conv1D(x, w);
        Assert.Equal([2, 3, 4], y.Shape);
        var expected = Naive(x.Span, w.Span, 6, 4, 5, false, false);
        if (withBias) for (int i = 0; i < expected.Length; i++) expected[i] += b.Span[i % 4];
        GradCheck.AssertClose("conv1d", expected, y.Span, 1e-5);
        if (withBias) GradCheck.Check("conv1d", t => Ops.Conv1D(t[0], t[1], t[2]), [x, w, b]);
        else GradCheck.Check("conv1d", t => Ops.Conv1D(t[0], t[1]), [x, w]);
    }

    [Fact]
    public void Conv1DGradientsEqualComposite()
    {
        // The fused op against MatMul + Add at a size where the GEMMs block and thread (rows 2·67, In 300, Out 97).
        var x = GradCheck.Param(13, 1f, 2, 67, 300);
        var w = GradCheck.Param(14, 0.1f, 300, 97);
        var b = GradCheck.Param(15, 1f, 97);
        var seed = GradCheck.Param(16, 1f, 2, 67, 97).Detach();
        float[][] Grads(Func<Tensor> f)
        {
            foreach (var p in new[] { x, w, b }) p.ZeroGrad();
            var y = f();
            Ops.Sum(Ops.Mul(y, seed)).Backward();
            return [y.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray()];
        }
        var fused = Grads(() => Ops.Conv1D(x, w, b));
        var composite = Grads(() => Ops.Add(Ops.MatMul(x, w), b));
        string[] names = ["y", "dx", "dW", "db"];
        for (int i = 0; i < names.Length; i++)
            GradCheck.AssertClose("conv1d " + names[i], composite[i].Select(v => (double)v).ToArray(), fused[i], 1e-5);
    }

    [Fact]
    public void LargeBiasGradientSplitAcrossThreadsEqualsRowSums()
    {
        // 600 rows × 1000 outputs: the bias gradient's column sums run on several threads.
        var x = GradCheck.Param(17, 1f, 600, 5);
        var w = GradCheck.Param(18, 1f, 5, 1000);
        var b = GradCheck.Param(19, 1f, 1000);
        var seed = GradCheck.Param(20, 1f, 600, 1000).Detach();
        Ops.Sum(Ops.Mul(Ops.Conv1D(x, w, b), seed)).Backward();
        var expected = new double[1000];
        for (int r = 0; r < 600; r++)
            for (int c = 0; c < 1000; c++) expected[c] += seed.Span[r * 1000 + c];
        GradCheck.AssertClose("conv1d db", expected, b.Grad!, 1e-4); // float sums of 600 terms; a lost or doubled column is off by O(1)
    }
}
