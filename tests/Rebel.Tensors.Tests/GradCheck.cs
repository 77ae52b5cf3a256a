// Finite-difference gradient checking: compares autograd gradients of a scalar function with central differences.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

/// <summary>Central-difference gradient checks against autograd.</summary>
internal static class GradCheck
{
    /// <summary>
    /// Builds the scalar loss Σ w ⊙ f(inputs) with fixed random weights w, back-propagates, and compares each input's gradient
    /// with (L(x + h) − L(x − h)) / 2h in double precision of the loss sum. Fails with the op name, input and element.
    /// </summary>
    public static void Check(string name, Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-2, double tol = 2e-2, ulong seed = 7)
    {
        var y0 = f(inputs);
        var weights = new float[y0.Size];
        new Rng(seed).FillNormal(weights);
        double Loss()
        {
            using var _ = Autograd.NoGrad();
            var y = f(inputs);
            double s = 0;
            var ys = y.Span;
            for (int i = 0; i < ys.Length; i++) s += (double)ys[i] * weights[i];
            return s;
        }
        foreach (var x in inputs) x.ZeroGrad();
        var loss = Ops.Sum(Ops.Mul(f(inputs), Tensor.FromArray(weights, y0.Shape)));
        loss.Backward();
        for (int n = 0; n < inputs.Length; n++)
        {
            var x = inputs[n];
            if (!x.RequiresGrad) continue;
            var analytic = x.Grad is null ? new float[x.Size] : x.Grad.AsSpan(0, x.Size).ToArray();
            var data = x.Span;
            for (int i = 0; i < x.Size; i++)
            {
                float orig = data[i];
                data[i] = (float)(orig + h); double lp = Loss();
                data[i] = (float)(orig - h); double lm = Loss();
                data[i] = orig;
                double numeric = (lp - lm) / (2 * h);
                double err = Math.Abs(numeric - analytic[i]);
                double scale = Math.Max(1.0, Math.Abs(numeric));
                Assert.True(err <= tol * scale, $"{name}: gradient of input {n} element {i}: autograd {analytic[i]} vs numeric {numeric}");
            }
        }
    }

    /// <summary>A parameter with values uniform in [lo, hi) from <paramref name="seed"/>.</summary>
    public static Tensor Uniform(ulong seed, float lo, float hi, params int[] shape)
    {
        var data = new float[Tensor.ShapeSize(shape)];
        new Rng(seed).FillUniform(data, lo, hi);
        return Tensor.Parameter(data, shape);
    }

    /// <summary>A parameter with values of random sign and magnitude in [margin, margin + 1): no kink of relu/clamp within ±margin.</summary>
    public static Tensor AwayFromZero(ulong seed, float margin, params int[] shape)
    {
        var t = Uniform(seed, -1f, 1f, shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = MathF.CopySign(margin + MathF.Abs(s[i]), s[i]);
        return t;
    }

    /// <summary>Asserts |expected − actual| ≤ tol·max(1, |expected|) element-wise.</summary>
    public static void AssertClose(string what, ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1.0, Math.Abs(expected[i])), $"{what}: element {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>A parameter filled with N(0, std²) from <paramref name="seed"/>.</summary>
    public static Tensor Param(ulong seed, float std, params int[] shape)
    {
        var data = new float[Tensor.ShapeSize(shape)];
        new Rng(seed).FillNormal(data, 0, std);
        return Tensor.Parameter(data, shape);
    }
}
