using Rebel.Tensors;
using Rebel.Training.Losses;

namespace Rebel.Training.Tests;

public class ReinforceLossTests
{
    [Fact]
    public void RunningMeanBaseline()
    {
        float b = ReinforceLoss.UpdateBaseline(null, [1f, 3f], 0.9f);
        Assert.Equal(2f, b, 6);
        b = ReinforceLoss.UpdateBaseline(b, [12f], 0.9f); // 0.9·2 + 0.1·12 = 3
        Assert.Equal(3f, b, 5);
    }

    [Fact]
    public void LossSubtractsTheBaseline()
    {
        // Fresh samples (ρ = 1): r − b = [1, −1] → loss = −(1 − 1)/2 = 0; grad = −(r−b)/N = [−0.5, 0.5]
        var lp = Tensor.Parameter([-2f, -1f], [2]);
        var loss = ReinforceLoss.Compute(lp, [-2f, -1f], [3f, 1f], 2f, clip: 0.2f);
        Assert.Equal(0f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-0.5f, lp.Grad![0], 5);
        Assert.Equal(0.5f, lp.Grad![1], 5);
    }

    [Fact]
    public void StaleSamplesAreImportanceWeightedAndClipped()
    {
        // ln π_old = 0; ρ = [1.1, 2]; r − b = [1, 1]: 1.1 inside (grad −1.1/2 = −0.55); 2 clipped to 1.2 (no grad); loss −(1.1 + 1.2)/2
        var lp = Tensor.Parameter([MathF.Log(1.1f), MathF.Log(2f)], [2]);
        var loss = ReinforceLoss.Compute(lp, [0f, 0f], [3f, 3f], 2f, clip: 0.2f);
        Assert.Equal(-1.15f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-0.55f, lp.Grad![0], 5);
        Assert.Equal(0f, lp.Grad![1], 6);
    }
}
