// The AdamW update kernel: every vector path equals the scalar reference bit for bit at every length 0..257.
using Rebel.Tensors.Optim;

namespace Rebel.Tensors.Tests;

public class AdamWKernelTests
{
    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void EveryPath_EqualsScalarReference_AtEveryLength(int maxBits)
    {
        var rng = new Rng(21);
        var step = new AdamWStep(0.9f, 0.999f, 1e-8f, 1f - MathF.Pow(0.9f, 3), 1f - MathF.Pow(0.999f, 3), 1e-3f, 1f - 1e-3f * 0.01f);
        for (int n = 0; n <= 257; n++)
        {
            float[] theta = new float[n], g = new float[n], m = new float[n], v = new float[n];
            rng.FillNormal(theta); rng.FillNormal(g); rng.FillNormal(m, 0f, 0.1f);
            for (int i = 0; i < n; i++) v[i] = 0.01f * g[i] * g[i];
            float[] et = (float[])theta.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone();
            for (int i = 0; i < n; i++) et[i] = AdamWKernel.UpdateScalar(et[i], g[i], ref em[i], ref ev[i], step);
            AdamWKernel.Update(theta, g, m, v, step, maxBits);
            Assert.Equal(et, theta);
            Assert.Equal(em, m);
            Assert.Equal(ev, v);
        }
    }
}
