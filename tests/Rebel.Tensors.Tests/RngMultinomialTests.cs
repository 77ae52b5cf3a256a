// Rng.Multinomial: the draw taken apart from the scan (Multinomial(weights, uniform), which the sampler runs for many rows in
// parallel after drawing their uniforms in row order) picks what the generator's own Multinomial picks.
namespace Rebel.Tensors.Tests;

public class RngMultinomialTests
{
    [Fact]
    public void GivenUniform_PicksTheFirstIndexWhoseRunningSumExceedsUniformTimesTheTotal()
    {
        float[] w = [1, 0, 3]; // total 4
        Assert.Equal(0, Rng.Multinomial(w, 0.2)); // u = 0.8 < 1
        Assert.Equal(2, Rng.Multinomial(w, 0.25)); // u = 1: not below 1, the zero weight skipped, below 4
        Assert.Equal(2, Rng.Multinomial(w, 0.999));
        Assert.Throws<ArgumentException>(() => Rng.Multinomial([0f, 0f], 0.5));
    }

    [Fact]
    public void GivenTheGeneratorsNextDouble_EqualsTheGeneratorsOwnDraw()
    {
        var weights = new float[1000];
        new Rng(5).FillUniform(weights);
        weights[17] = 0;
        Rng a = new(11), b = new(11);
        for (int i = 0; i < 200; i++) Assert.Equal(a.Multinomial(weights), Rng.Multinomial(weights, b.NextDouble()));
    }
}
