using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class ApoLossTests
{
    [Fact]
    public void OptimalValueIsBetaLogMeanExp()
    {
        // β₁ = 1, r = [0, 1]: ln((e⁰ + e¹)/2) = ln(1.8591409) = 0.6201145
        Assert.Equal(0.6201145f, ApoLoss.OptimalValue([0f, 1f], 1f), 5);
        // β₁ = 0.5, r = [2, 2, 2]: equal rewards give that reward
        Assert.Equal(2f, ApoLoss.OptimalValue([2f, 2f, 2f], 0.5f), 5);
    }

    [Fact]
    public void OptimalValueStaysFiniteWhereExpOverflows()
    {
        // r/β₁ = 2000: exp overflows double. 1000 + 0.5·ln((1 + e⁻²)/2) = 1000 + 0.5·ln(0.5676676) = 999.71689
        Assert.Equal(999.71689f, ApoLoss.OptimalValue([1000f, 999f], 0.5f), 3);
        Assert.Equal(1000f, ApoLoss.OptimalValue([1000f, 1000f], 0.5f), 3);
        // And where it underflows: −1000/0.5 → every term e^(−2000) = 0 without the shift. −1000 + 0.5·ln((1 + e⁻²)/2) = −1000.28311
        Assert.Equal(-1000.28311f, ApoLoss.OptimalValue([-1000f, -1001f], 0.5f), 3);
    }

    [Fact]
    public void OptimalValueRunsFromTheMeanToTheBest()
    {
        // β₁ → 0: the best reward less β₁·ln N (1 − 1e-3·ln 2 = 0.9993069); β₁ large: near the mean (0.5 + 1/(8·β₁) = 0.500125 at β₁ = 1000)
        Assert.Equal(0.9993069f, ApoLoss.OptimalValue([0f, 1f], 1e-3f), 5);
        Assert.Equal(0.500125f, ApoLoss.OptimalValue([0f, 1f], 1000f), 5);
    }

    [Fact]
    public void LossAndGradientOnHandComputedNumbers()
    {
        // β₂ = 0.1; residuals 0.1·(−1 + 1.5) − 0.3 = −0.25 and 0.1·(−2 + 1) + 0.2 = 0.1; loss (0.0625 + 0.01)/2 = 0.03625;
        // ∂L/∂ln π_i = 2·β₂·residual_i / N = [−0.025, 0.01]
        var lp = Tensor.Parameter([-1f, -2f], [2]);
        var loss = ApoLoss.Compute(lp, [-1.5f, -1f], [0.3f, -0.2f], 0.1f);
        Assert.Equal(0.03625f, loss.Item(), 6);
        loss.Backward();
        Assert.Equal(-0.025f, lp.Grad![0], 6);
        Assert.Equal(0.01f, lp.Grad![1], 6);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => ApoLoss.OptimalValue([], 1f));
        Assert.Throws<ArgumentException>(() => ApoLoss.OptimalValue([1f], 0f));
        Assert.Throws<ArgumentException>(() => ApoLoss.Compute(Tensor.Parameter([0f, 0f], [2]), [0f], [0f, 0f], 0.1f));
    }
}
