// The vectorised GELU (tanh) forward and backward kernels against their scalar formulas at every length 0..257.
using Rebel.Tensors;

namespace Rebel.Tensors.Tests;

public class GeluKernelTests
{
    [Fact]
    public void ForwardAndBackward_MatchScalarReference_AtEveryLength()
    {
        var rng = new Rng(11);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n]; var g = new float[n];
            rng.FillNormal(x, 0f, 3f);
            rng.FillNormal(g);
            var y = new float[n];
            Ops.GeluForward(x, y);
            for (int i = 0; i < n; i++)
            {
                float expected = 0.5f * x[i] * (1f + MathF.Tanh(0.7978845608f * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
                Assert.True(MathF.Abs(expected - y[i]) <= 1e-6f * (1 + MathF.Abs(expected)), $"forward n={n} i={i}: {expected} vs {y[i]}");
            }
            var fast = new float[n]; var reference = new float[n];
            rng.FillNormal(fast);
            fast.CopyTo(reference, 0);
            Ops.GeluBackward(x, g, fast);
            Ops.GeluBackwardReference(x, g, reference);
            for (int i = 0; i < n; i++)
                Assert.True(MathF.Abs(reference[i] - fast[i]) <= 1e-5f * (1 + MathF.Abs(reference[i])), $"backward n={n} i={i}: {reference[i]} vs {fast[i]}");
        }
    }
}
