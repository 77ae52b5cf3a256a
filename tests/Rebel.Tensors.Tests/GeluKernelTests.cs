// The one-pass GELU (tanh) forward and backward kernels, every vector path, against the formula in double precision
// (and against their own scalar functions) at every length 0..257 and at edge values.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class GeluKernelTests
{
    private const double C = 0.7978845608028654, K = 0.044715;

    private static double Gelu(double x) => 0.5 * x * (1 + Math.Tanh(C * (x + K * x * x * x)));

    private static double Slope(double x)
    {
        double t = Math.Tanh(C * (x + K * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * K * x * x);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void ForwardAndBackward_MatchFormula_AtEveryLength(int maxBits)
    {
        var rng = new Rng(11);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n]; var g = new float[n];
            rng.FillNormal(x, 0f, 3f);
            rng.FillNormal(g);
            var y = new float[n];
            Ops.GeluForward(x, y, maxBits);
            var gx = new float[n];
            rng.FillNormal(gx);
            var before = (float[])gx.Clone();
            Ops.GeluBackward(x, g, gx, accumulate: true, maxBits);
            var assigned = new float[n];
            rng.FillNormal(assigned);
            Ops.GeluBackward(x, g, assigned, accumulate: false, maxBits);
            for (int i = 0; i < n; i++)
            {
                double expected = Gelu(x[i]);
                Assert.True(Math.Abs(expected - y[i]) <= 1e-6 * (1 + Math.Abs(expected)), $"forward n={n} i={i} x={x[i]}: {expected} vs {y[i]}");
                Assert.Equal(Ops.GeluScalar(x[i]), y[i], 1e-6f);
                double grad = before[i] + g[i] * Slope(x[i]);
                Assert.True(Math.Abs(grad - gx[i]) <= 2e-6 * (1 + Math.Abs(grad)), $"backward n={n} i={i} x={x[i]}: {grad} vs {gx[i]}");
                Assert.True(Math.Abs(g[i] * Slope(x[i]) - assigned[i]) <= 2e-6 * (1 + Math.Abs(g[i])), $"assigning backward n={n} i={i}");
            }
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void EdgeValues_StayFinite_AndSaturate(int maxBits)
    {
        float[] x = [0f, -0f, 1e-30f, -1e-8f, 5f, -5f, 10f, -10f, 30f, -30f, 1e4f, -1e4f, 3e38f, -3e38f, 0.5f, -0.5f];
        var y = new float[x.Length]; var gx = new float[x.Length]; var g = new float[x.Length];
        Array.Fill(g, 1f);
        Ops.GeluForward(x, y, maxBits);
        Ops.GeluBackward(x, g, gx, accumulate: true, maxBits);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Abs(x[i]) > 20 ? Math.Max(x[i], 0) : Gelu(x[i]);
            double slope = Math.Abs(x[i]) > 20 ? (x[i] > 0 ? 1 : 0) : Slope(x[i]);
            Assert.True(Math.Abs(expected - y[i]) <= 1e-6 * (1 + Math.Abs(expected)), $"forward x={x[i]}: {expected} vs {y[i]}");
            Assert.True(Math.Abs(slope - gx[i]) <= 2e-6, $"slope x={x[i]}: {slope} vs {gx[i]}");
        }
    }
}
