// LayerNorm and RMSNorm: forward against the direct formula in double, gradients against finite differences.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class NormGradTests
{
    private const int Rows = 6, C = 7;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LayerNormForward(bool withBias)
    {
        var x = GradCheck.Param(1, 2f, 2, 3, C);
        var w = GradCheck.Param(2, 1f, C);
        var b = GradCheck.Param(3, 1f, C);
        const float eps = 1e-5f;
        var y = Ops.LayerNorm(x, w, withBias ? b : null, eps);
        var expected = new double[x.Size];
        for (int r = 0; r < Rows; r++)
        {
            var row = x.ToArray().AsSpan(r * C, C).ToArray();
            double mean = row.Average(v => (double)v);
            double variance = row.Sum(v => (v - mean) * (v - mean)) / C;
            for (int i = 0; i < C; i++)
                expected[r * C + i] = (row[i] - mean) / Math.Sqrt(variance + eps) * w.Span[i] + (withBias ? b.Span[i] : 0);
        }
        GradCheck.AssertClose("layer_norm", expected, y.Span, 1e-5);
    }

    [Fact]
    public void RmsNormForward()
    {
        var x = GradCheck.Param(4, 2f, 2, 3, C);
        var w = GradCheck.Param(5, 1f, C);
        const float eps = 1e-6f;
        var y = Ops.RmsNorm(x, w, eps);
        var expected = new double[x.Size];
        for (int r = 0; r < Rows; r++)
        {
            var row = x.ToArray().AsSpan(r * C, C).ToArray();
            double ms = row.Sum(v => (double)v * v) / C;
            for (int i = 0; i < C; i++) expected[r * C + i] = row[i] / Math.Sqrt(ms + eps) * w.Span[i];
        }
        GradCheck.AssertClose("rms_norm", expected, y.Span, 1e-5);
    }

    [Fact]
    public void LayerNormGradients()
    {
        var x = GradCheck.Param(6, 1f, 2, 3, C);
        var w = GradCheck.Param(7, 1f, C);
        var b = GradCheck.Param(8, 1f, C);
        GradCheck.Check("layer_norm", t => Ops.LayerNorm(t[0], t[1], t[2], 1e-5f), [x, w, b], h: 5e-3);
        GradCheck.Check("layer_norm without bias", t => Ops.LayerNorm(t[0], t[1], null, 1e-5f), [x, w], h: 5e-3);
    }

    [Fact]
    public void RmsNormGradients()
    {
        var x = GradCheck.Param(9, 1f, 2, 3, C);
        var w = GradCheck.Param(10, 1f, C);
        GradCheck.Check("rms_norm", t => Ops.RmsNorm(t[0], t[1], 1e-6f), [x, w], h: 5e-3);
    }

    [Fact]
    public void LayerNormRowRangesEqualRowByRow()
    {
        // 1031 × 257 ≥ 2¹⁸ elements: the row-range (threaded) path, against the same rows normalised in small serial calls.
        const int rows = 1031, c = 257, piece = 10;
        var x = GradCheck.Param(40, 2f, rows, c);
        var w = GradCheck.Param(41, 1f, c);
        var b = GradCheck.Param(42, 1f, c);
        var seed = GradCheck.Param(43, 1f, rows, c).Detach();
        Ops.Sum(Ops.Mul(Ops.LayerNorm(x, w, b, 1e-5f), seed)).Backward();
        var y = Ops.LayerNorm(x, w, b, 1e-5f).ToArray();
        float[] gx = x.Grad!.ToArray(), gw = w.Grad!.ToArray(), gb = b.Grad!.ToArray();
        var xs = Tensor.Parameter(new float[piece * c], [piece, c]);
        var ws = Tensor.Parameter(w.ToArray(), [c]);
        var bs = Tensor.Parameter(b.ToArray(), [c]);
        var expectedY = new double[rows * c]; var expectedGx = new double[rows * c];
        for (int r0 = 0; r0 < rows; r0 += piece)
        {
            int n = Math.Min(piece, rows - r0);
            var xp = Tensor.Parameter(x.ToArray().AsSpan(r0 * c, n * c).ToArray(), [n, c]);
            var sp = Tensor.FromArray(seed.ToArray().AsSpan(r0 * c, n * c).ToArray(), n, c);
            var yp = Ops.LayerNorm(xp, ws, bs, 1e-5f);
            Ops.Sum(Ops.Mul(yp, sp)).Backward();
            for (int i = 0; i < n * c; i++) { expectedY[r0 * c + i] = yp.Span[i]; expectedGx[r0 * c + i] = xp.Grad![i]; }
        }
        GradCheck.AssertClose("layer_norm rows y", expectedY, y, 1e-6);
        GradCheck.AssertClose("layer_norm rows dx", expectedGx, gx, 1e-5);
        GradCheck.AssertClose("layer_norm rows dw", ws.Grad!.Select(v => (double)v).ToArray(), gw, 1e-4);
        GradCheck.AssertClose("layer_norm rows db", bs.Grad!.Select(v => (double)v).ToArray(), gb, 1e-4);
    }
}
