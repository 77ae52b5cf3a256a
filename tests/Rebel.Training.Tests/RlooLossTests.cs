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
    public void LossIsMinusMeanAdvantageTimesLogProb()
    {
        // −(−3·−1 + 4·−2)/2 = −(3 − 8)/2 = 2.5; ∂/∂lnπ_i = −A_i/N
        var lp = Tensor.Parameter([-1f, -2f], [2]);
        var loss = RlooLoss.Compute(lp, [-3f, 4f]);
        Assert.Equal(2.5f, loss.Item(), 5);
        loss.Backward();
        Assert.Equal(1.5f, lp.Grad![0], 5);
        Assert.Equal(-2f, lp.Grad![1], 5);
    }
}
