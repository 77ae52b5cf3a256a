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
        // r − b = [1, −1] → loss = −(1·−2 + −1·−1)/2 = 0.5; grad = −(r−b)/N = [−0.5, 0.5]
        var lp = Tensor.Parameter([-2f, -1f], [2]);
        var loss = ReinforceLoss.Compute(lp, [3f, 1f], 2f);
        Assert.Equal(0.5f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(-0.5f, lp.Grad![0], 5);
        Assert.Equal(0.5f, lp.Grad![1], 5);
    }
}
