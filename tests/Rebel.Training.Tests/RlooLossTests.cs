using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class RlooLossTests
{
    [Fact]
    public void LeaveOneOutBaselines()
    {
        // Group 1: r = [1, 2, 6] → baselines [4, 3.5, 1.5] → A = [−3, −1.5, 4.5]; group 2: [0, 0, 3] → [1.5, 1.5, 0] → [−1.5, −1.5, 3]
        var adv = new float[6];
        RlooLoss.Advantages([1f, 2f, 6f, 0f, 0f, 3f], 3, adv);
        Assert.Equal([-3f, -1.5f, 4.5f, -1.5f, -1.5f, 3f], adv);
    }

    [Fact]
    public void OnFreshSamplesTheGradientIsMinusMeanAdvantageTimesScore()
    {
        // ln π_old = ln π_θ → ρ = 1: loss −mean(A·1) = −(−3 + 4)/2 = −0.5; ∂/∂lnπ_i = −A_i·ρ_i/N = [1.5, −2]
        var lp = Tensor.Parameter([-1f, -2f], [2]);
        var loss = RlooLoss.Compute(lp, [-1f, -2f], [-3f, 4f], clip: 0.2f);
        Assert.Equal(-0.5f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(1.5f, lp.Grad![0], 5);
        Assert.Equal(-2f, lp.Grad![1], 5);
    }

    [Fact]
    public void TheSequenceRatioIsClippedAtBothEdges()
    {
        // ε = 0.2, ln π_old = 0 for all four:
        //   ρ = 1.5, A = +1: min(1.5, 1.2) = 1.2, clipped above 1+ε → no gradient
        //   ρ = 0.5, A = −1: min(−0.5, −0.8) = −0.8, clipped below 1−ε → no gradient
        //   ρ = 1.1, A = +2: inside → 2.2, ∂/∂lnπ = −ρ·A/N = −2.2/4 = −0.55
        //   ρ = 1.5, A = −1: min(−1.5, −1.2) = −1.5, the unclipped side (pessimistic) → ∂/∂lnπ = −ρ·A/N = 1.5/4 = 0.375
        // loss = −(1.2 − 0.8 + 2.2 − 1.5)/4 = −0.275
        var lp = Tensor.Parameter([MathF.Log(1.5f), MathF.Log(0.5f), MathF.Log(1.1f), MathF.Log(1.5f)], [4]);
        var loss = RlooLoss.Compute(lp, [0f, 0f, 0f, 0f], [1f, -1f, 2f, -1f], clip: 0.2f);
        Assert.Equal(-0.275f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(0f, lp.Grad![0], 6);
        Assert.Equal(0f, lp.Grad![1], 6);
        Assert.Equal(-0.55f, lp.Grad![2], 5);
        Assert.Equal(0.375f, lp.Grad![3], 5);
    }
}
