using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class PpoLossTests
{
    private const float Clip = 0.2f;

    [Fact]
    public void InsideTheClipRangeTheSurrogateIsRatioTimesAdvantage()
    {
        // ρ = exp(0.1) = 1.10517, A = 2 → loss = −2.21034; ∂/∂lnπ = −ρ·A = −2.21034
        var lp = Tensor.Parameter([0.1f], [1, 1]);
        var loss = PpoLoss.Policy(lp, [0f], [2f], [1f], Clip);
        Assert.Equal(-2.21034f, loss.Item(), 4);
        loss.Backward();
        Assert.Equal(-2.21034f, lp.Grad![0], 4);
    }

    [Theory]
    [InlineData(0.5f, 1f, -1.2f)]    // ρ = 1.65 > 1.2 with A > 0: min picks 1.2·A
    [InlineData(-0.5f, -1f, 0.8f)]   // ρ = 0.61 < 0.8 with A < 0: min picks 0.8·A
    public void ClippedSideHasZeroGradient(float logRatio, float advantage, float expectedLoss)
    {
        var lp = Tensor.Parameter([logRatio], [1, 1]);
        var loss = PpoLoss.Policy(lp, [0f], [advantage], [1f], Clip);
        Assert.Equal(expectedLoss, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(0f, lp.Grad![0]);
    }

    [Fact]
    public void ClippingDoesNotApplyOnTheUnfavourableSide()
    {
        // ρ = 1.65 > 1.2 but A < 0: min(ρA, 1.2A) = ρA, gradient −ρA = 1.6487 flows.
        var lp = Tensor.Parameter([0.5f], [1, 1]);
        var loss = PpoLoss.Policy(lp, [0f], [-1f], [1f], Clip);
        Assert.Equal(MathF.Exp(0.5f), loss.Item(), 5);
        loss.Backward();
        Assert.Equal(MathF.Exp(0.5f), lp.Grad![0], 5);
    }

    [Fact]
    public void MaskedTokensAreIgnored()
    {
        // Two tokens, the second masked: loss = −ρ₀·A₀ = −1·3 = −3 (the mean is over one token).
        var lp = Tensor.Parameter([0f, 5f], [1, 2]);
        var loss = PpoLoss.Policy(lp, [0f, 0f], [3f, 100f], [1f, 0f], Clip);
        Assert.Equal(-3f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(0f, lp.Grad![1]);
    }

    [Fact]
    public void ValueLossTakesTheLargerOfClippedAndUnclippedError()
    {
        // Token 0: V = 1.0, V_old = 0, R = 1.0 → unclipped 0, clipped V_old + 0.2 = 0.2 → (0.8)² = 0.64 (clipped wins; its gradient is 0).
        // Token 1: V = 0.1, V_old = 0, R = 1.0 → unclipped 0.81, clipped 0.1 (inside) → 0.81 (both equal) ; gradient 2·(−0.9).
        // loss = ½·(0.64 + 0.81)/2 = 0.3625; ∂/∂V₁ = ½·2·(−0.9)/2 = −0.45, ∂/∂V₀ = 0.
        var v = Tensor.Parameter([1.0f, 0.1f], [1, 2]);
        var loss = PpoLoss.Value(v, [0f, 0f], [1f, 1f], [1f, 1f], Clip);
        Assert.Equal(0.3625f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(0f, v.Grad![0], 6);
        Assert.Equal(-0.45f, v.Grad![1], 5);
    }

    [Fact]
    public void ClipFractionCountsRatiosOutsideTheRange()
    {
        Assert.Equal(0.5, PpoLoss.ClipFraction([0.5f, 0.1f, 9f], [0f, 0f, 0f], [1f, 1f, 0f], Clip), 6);
    }
}
