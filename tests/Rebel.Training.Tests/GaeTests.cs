using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class GaeTests
{
    [Fact]
    public void ThreeStepTrajectoryMatchesHandComputation()
    {
        // KL per token (ln π_old − ln π_ref) = 0.2, 0.0, −0.1; β = 0.5; score 1 at the last token.
        // r = [−0.1, 0, 0.05 + 1] = [−0.1, 0, 1.05]; V = [0.5, 0.4, 0.3]; γ = 1, λ = 0.95.
        // δ₂ = 1.05 − 0.3 = 0.75;        A₂ = 0.75
        // δ₁ = 0 + 0.3 − 0.4 = −0.1;      A₁ = −0.1 + 0.95·0.75 = 0.6125
        // δ₀ = −0.1 + 0.4 − 0.5 = −0.2;   A₀ = −0.2 + 0.95·0.6125 = 0.381875
        // R = A + V = [0.881875, 1.0125, 1.05]
        var rewards = new float[3];
        Gae.TokenRewards(1f, [0.2f, -1f, -0.3f], [0f, -1f, -0.2f], 0.5f, rewards);
        Assert.Equal([-0.1f, 0f, 1.05f], rewards.Select(r => MathF.Round(r, 5)));
        var adv = new float[3];
        var ret = new float[3];
        Gae.Compute(rewards, [0.5f, 0.4f, 0.3f], gamma: 1f, lambda: 0.95f, adv, ret);
        Assert.Equal(0.381875f, adv[0], 4);
        Assert.Equal(0.6125f, adv[1], 5);
        Assert.Equal(0.75f, adv[2], 5);
        Assert.Equal(0.881875f, ret[0], 5);
        Assert.Equal(1.0125f, ret[1], 5);
        Assert.Equal(1.05f, ret[2], 5);
    }

    [Fact]
    public void LambdaOneGivesMonteCarloReturns()
    {
        var adv = new float[3];
        var ret = new float[3];
        Gae.Compute([1f, 2f, 3f], [9f, -4f, 0.5f], 1f, 1f, adv, ret);
        Assert.Equal([6f, 5f, 3f], ret);
    }

    [Fact]
    public void WhiteningGivesZeroMeanUnitStdOnMaskedEntries()
    {
        float[] x = [1f, 2f, 3f, 100f];
        Advantages.Whiten(x, [1f, 1f, 1f, 0f]);
        Assert.Equal(0f, x[0] + x[1] + x[2], 5);
        Assert.Equal(1f, (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]) / 3, 4);
        Assert.Equal(0f, x[3]);
    }
}
